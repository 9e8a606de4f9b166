// deploy/haproxy/haproxy.cfg as an operator would use it (issue #10): replica addresses given as
// container or Service names that do not resolve yet must not stop `haproxy -c` or HAProxy, and
// the health check must ask /readyz (the store decides; a draining replica answers 503). The
// cluster tests run the same file with address literals (tests/cluster/lib/infra.mjs).
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { ROOT, requireTool, run } from "./lib.mjs";

const CFG = path.join(ROOT, "deploy/haproxy/haproxy.cfg");

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

test("haproxy -c accepts the README's example with replica names that do not resolve here", () => {
  requireTool("haproxy", "Debian package haproxy (scripts/setup.sh installs it)");
  const r = check(CFG, ["chat-1:8888", "chat-2:8888", "chat-3:8888"]);
  assert.equal(r.code, 0, `haproxy -c failed:\n${r.stdout}${r.stderr}`);
  assert.match(r.stdout + r.stderr, /Configuration file is valid/);
});

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

test("the health check asks /readyz, not /healthz", () => {
  const text = fs.readFileSync(CFG, "utf8");
  assert.match(text, /^\s*option httpchk GET \/readyz\s*$/m);
  assert.match(text, /^\s*http-check expect status 200\s*$/m);
  assert.doesNotMatch(text, /^\s*option httpchk GET \/healthz/m);
});
