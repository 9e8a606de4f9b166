// deploy/haproxy/haproxy.cfg (cookie stickiness) and haproxy-roundrobin.cfg (no affinity, issue
// #14) as an operator would use them (issue #10): replica addresses given as container or Service
// names that do not resolve yet must not stop `haproxy -c` or HAProxy, and the health check must
// ask /readyz (the store decides; a draining replica answers 503). The round-robin file keeps no
// trace of affinity and is otherwise the sticky one. The cluster tests run both files with address
// literals (tests/cluster/lib/infra.mjs, CLUSTER_LB).
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { ROOT, requireTool, run } from "./lib.mjs";

const CFG = path.join(ROOT, "deploy/haproxy/haproxy.cfg");
const RR_CFG = path.join(ROOT, "deploy/haproxy/haproxy-roundrobin.cfg");
const CONFIGS = { "haproxy.cfg": CFG, "haproxy-roundrobin.cfg": RR_CFG };

function check(cfgPath, replicas) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "haproxy-check-"));
  try {
    const env = {
      ...process.env,
      CHAT_LB_BIND: "127.0.0.1:18081", // not bound by -c
      CHAT_LB_STATS_SOCKET: path.join(dir, "stats.sock"),
      CHAT_REPLICA_1: replicas[0],
      CHAT_REPLICA_2: replicas[1],
      CHAT_REPLICA_3: replicas[2],
    };
    return run("haproxy", ["-c", "-f", cfgPath], { env });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

for (const [name, file] of Object.entries(CONFIGS)) {
  test(`${name}: haproxy -c accepts the README's example with replica names that do not resolve here`, () => {
    requireTool("haproxy", "Debian package haproxy (scripts/setup.sh installs it)");
    const r = check(file, ["chat-1:8888", "chat-2:8888", "chat-3:8888"]);
    assert.equal(r.code, 0, `haproxy -c failed:\n${r.stdout}${r.stderr}`);
    assert.match(r.stdout + r.stderr, /Configuration file is valid/);
  });

  test(`${name}: the health check asks /readyz, not /healthz`, () => {
    const text = fs.readFileSync(file, "utf8");
    assert.match(text, /^\s*option httpchk GET \/readyz\s*$/m);
    assert.match(text, /^\s*http-check expect status 200\s*$/m);
    assert.doesNotMatch(text, /^\s*option httpchk GET \/healthz/m);
  });
}

test("control: without run-time resolvers the same example fails haproxy -c", () => {
  requireTool("haproxy", "Debian package haproxy (scripts/setup.sh installs it)");
  const text = fs
    .readFileSync(CFG, "utf8")
    .replace(/ resolvers dns init-addr last,libc,none/, "")
    .replace(/^resolvers dns[\s\S]*?\n\n/m, "");
  assert.doesNotMatch(text, /^\s*default-server.*init-addr/m);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "haproxy-control-"));
  try {
    const copy = path.join(dir, "haproxy.cfg");
    fs.writeFileSync(copy, text);
    const r = check(copy, ["chat-1:8888", "chat-2:8888", "chat-3:8888"]);
    assert.notEqual(r.code, 0, "a name that does not resolve should fail the check without init-addr");
    assert.match(r.stdout + r.stderr, /could not resolve address 'chat-1'/, "it fails for the unresolvable name, not something else");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** The configuration's lines without comments and blank lines, whitespace squeezed. */
const directives = (text) => text.split("\n").map((l) => l.replace(/#.*/, "").trim().replace(/\s+/g, " ")).filter(Boolean);

test("haproxy.cfg: cookie stickiness (SERVERID inserted, one cookie value per server, persist)", () => {
  const lines = directives(fs.readFileSync(CFG, "utf8"));
  assert.ok(lines.includes("cookie SERVERID insert indirect nocache httponly"), "cookie SERVERID insert");
  assert.ok(lines.includes("option persist"));
  for (const n of [1, 2, 3]) assert.ok(lines.some((l) => l.startsWith(`server chat${n} `) && l.endsWith(` cookie chat${n}`)), `server chat${n} cookie chat${n}`);
});

test("haproxy-roundrobin.cfg: plain round robin, no cookie, no stick table, nothing that pins a client", () => {
  const lines = directives(fs.readFileSync(RR_CFG, "utf8"));
  const backend = lines.slice(lines.indexOf("backend chat"));
  assert.equal(backend.filter((l) => l.startsWith("balance ")).join(), "balance roundrobin");
  for (const l of lines) {
    assert.doesNotMatch(l, /^(cookie|stick|stick-table|appsession|option persist|hash-type|dynamic-cookie-key)\b/, `affinity directive: ${l}`);
    assert.doesNotMatch(l, /^server .* cookie /, `server with a cookie value: ${l}`);
    assert.doesNotMatch(l, /SERVERID/, l);
  }
  assert.deepEqual(backend.filter((l) => l.startsWith("server ")),
    [1, 2, 3].map((n) => `server chat${n} "\${CHAT_REPLICA_${n}}" check`));
});

test("haproxy-roundrobin.cfg is haproxy.cfg without the affinity (nothing else drifts apart)", () => {
  // The sticky file minus its affinity lines, with its balance algorithm replaced, must be the
  // round-robin file, directive for directive.
  const sticky = directives(fs.readFileSync(CFG, "utf8"))
    .filter((l) => !/^cookie |^option persist$/.test(l))
    .map((l) => l.replace(/^balance leastconn$/, "balance roundrobin").replace(/ cookie chat\d$/, ""));
  assert.deepEqual(directives(fs.readFileSync(RR_CFG, "utf8")), sticky);
});
