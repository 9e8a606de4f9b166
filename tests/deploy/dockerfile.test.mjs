// The Dockerfile and .dockerignore: lint, the two stages, packages (against scripts/setup.sh
// and against the libraries chatd is really linked with), user, healthcheck, port, volumes,
// settings, and what the build context holds.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import {
  ROOT, TESTS, run, readRepo, parseDockerfile, dockerEnv, aptPackages, execForm, setupPackages,
  undocumented, sqliteDir, isUnder, dockerignoreIncludes,
} from "./lib.mjs";

const TEXT = readRepo("Dockerfile");
const INS = parseDockerfile(TEXT);
const FROMS = INS.filter((i) => i.op === "FROM");
const BUILD = 0;
const FINAL = FROMS.length - 1;
const FINAL_ENV = dockerEnv(INS, FINAL);
const only = (op, stage = FINAL) => INS.filter((i) => i.op === op && i.stage === stage);

function lint(file) {
  return run(path.join(TESTS, "node_modules/.bin/dockerfile-utils"), ["lint", file], { cwd: TESTS });
}

test("dockerfile-utils lint: no errors and no warnings", () => {
  const r = lint(path.join(ROOT, "Dockerfile"));
  assert.equal(r.code, 0, `dockerfile-utils lint Dockerfile exited ${r.code}:\n${r.stdout}${r.stderr}`);
  assert.equal(r.stdout.trim(), "", `lint warnings:\n${r.stdout}`);
});

test("dockerfile-utils lint fails on a broken Dockerfile (the check can fail)", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chat-lint-"));
  try {
    const bad = path.join(dir, "Dockerfile");
    fs.writeFileSync(bad, TEXT.replace("EXPOSE 8888", "EXPOSE port-8888"));
    const r = lint(bad);
    assert.equal(r.code, 1, `lint should reject EXPOSE port-8888:\n${r.stdout}`);
    assert.match(r.stdout, /Error/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("two stages: build on debian:bookworm, run on debian:bookworm-slim", () => {
  assert.equal(FROMS.length, 2, `expected 2 stages, got: ${FROMS.map((f) => f.args).join(" | ")}`);
  assert.match(FROMS[BUILD].args, /^debian:bookworm AS build$/i);
  assert.match(FROMS[FINAL].args, /^debian:bookworm-slim( AS \S+)?$/i);
});

test("the build stage installs the library packages of scripts/setup.sh, builds the web UI and the release preset", () => {
  // setup.sh packages the image does not need: test frameworks, test servers, the browser,
  // fuzzing, validators, ccache and curl.
  const notForTheImage = new Set([
    "libgtest-dev", "libgmock-dev", "ccache", "curl", "clang", "libclang-rt-14-dev", "chromium",
    "redis-server", "nats-server", "rabbitmq-server", "postgresql", "haproxy", "iproute2", "nginx",
    "docker-compose", "kubectl",
  ]);
  const want = setupPackages().filter((p) => !notForTheImage.has(p));
  assert.ok(want.includes("libvips-dev") && want.includes("g++"), `setup.sh list looks wrong: ${want}`);
  const have = aptPackages(INS, BUILD);
  const missing = want.filter((p) => !have.has(p));
  assert.deepEqual(missing, [], `the build stage lacks packages of scripts/setup.sh: ${missing.join(" ")}`);
  for (const p of ["nodejs", "npm"]) assert.ok(have.has(p), `build stage: ${p} for npm ci`);
  const runs = only("RUN", BUILD).map((r) => r.args).join("\n");
  assert.match(runs, /cd web\b[^\n]*&& npm ci\b/, "npm ci in web/");
  // An HTTPS-intercepting proxy's CA comes in as an optional build secret, never a layer.
  assert.match(runs, /--mount=type=secret,id=extra_ca\b[^\n]*NODE_EXTRA_CA_CERTS=\/run\/secrets\/extra_ca/);
  assert.match(runs, /cmake --preset release/);
  assert.match(runs, /cmake --build --preset release/);
  // No test frameworks or servers in the build either.
  for (const p of have) assert.ok(!notForTheImage.has(p), `build stage installs ${p}`);
});

test("the runtime stage installs exactly the packages owning the libraries chatd links, and no -dev package", () => {
  const bin = process.env.CHATD;
  assert.ok(bin, "CHATD is not set");
  const have = aptPackages(INS, FINAL);
  for (const p of have) assert.ok(!p.endsWith("-dev"), `runtime stage installs ${p}`);

  // NEEDED entries of the binary, each mapped to its Debian package through ldd + dpkg -S.
  const needed = [...run("readelf", ["-d", bin]).stdout.matchAll(/\(NEEDED\)\s+Shared library: \[(.+?)\]/g)]
    .map((m) => m[1]);
  assert.ok(needed.length > 5, `readelf found no NEEDED entries in ${bin}`);
  const ldd = run("ldd", [bin]).stdout;
  // In debian:bookworm-slim already, or only in the sanitizer test build.
  const inBaseOrTestOnly = new Set(["libc6", "libstdc++6", "libgcc-s1", "libasan8", "libubsan1"]);
  // One dpkg -S for all of them (the resolved file, and the path ldd printed for usrmerge links).
  const libs = needed.map((so) => {
    const m = ldd.match(new RegExp(`^\\s*${so.replace(/[.+]/g, "\\$&")} => (\\S+)`, "m"));
    assert.ok(m, `ldd does not resolve ${so}`);
    return { so, paths: [...new Set([fs.realpathSync(m[1]), m[1]])] };
  });
  const q = run("dpkg", ["-S", ...libs.flatMap((l) => l.paths)]);
  const ownerOf = new Map();
  for (const line of q.stdout.split("\n")) {
    const m = line.match(/^([^:,\s]+)(?::\S+)?: (\S+)$/);
    if (m) ownerOf.set(m[2], m[1]);
  }
  const missing = [];
  const owners = new Set();
  for (const { so, paths } of libs) {
    const pkg = paths.map((p) => ownerOf.get(p)).find(Boolean);
    assert.ok(pkg, `no Debian package owns ${so} (${paths}): ${q.stderr}`);
    owners.add(pkg);
    if (!inBaseOrTestOnly.has(pkg) && !have.has(pkg)) missing.push(`${so} (${pkg})`);
  }
  assert.deepEqual(missing, [], `the runtime stage lacks: ${missing.join(", ")}`);
  const extra = [...have].filter((p) => !owners.has(p));
  assert.deepEqual(extra, [], `runtime packages chatd does not link: ${extra.join(" ")}`);
});

test("runs as a numeric non-root user", () => {
  const users = only("USER");
  assert.equal(users.length, 1, "one USER in the final stage");
  const [user, group] = users[0].args.split(":");
  assert.match(user, /^\d+$/, "numeric uid (Kubernetes runAsNonRoot can only verify numbers)");
  assert.notEqual(Number(user), 0);
  if (group !== undefined) assert.notEqual(Number(group), 0);
  const runs = only("RUN").map((r) => r.args).join("\n");
  assert.match(runs, new RegExp(`useradd[^\\n]*--uid ${user}\\b`), "the user is created in the image");
});

test("HEALTHCHECK runs chatd --health-check (no curl in the image)", () => {
  const hc = only("HEALTHCHECK");
  assert.equal(hc.length, 1);
  const cmd = execForm(hc[0].args.slice(hc[0].args.indexOf("CMD")));
  assert.deepEqual(cmd, ["chatd", "--health-check"]);
  const entry = execForm(only("ENTRYPOINT")[0]?.args ?? "");
  assert.deepEqual(entry, ["chatd"], "exec-form ENTRYPOINT: chatd is PID 1 and receives SIGTERM itself");
  const copy = only("COPY").find((c) => /build\/release\/chatd\b/.test(c.args));
  assert.ok(copy, "chatd copied from the build stage");
  assert.match(copy.args, /--from=build /);
  assert.match(copy.args, /\/usr\/local\/bin\/chatd$/, "chatd on PATH for the healthcheck");
});

test("PORT 8888 is the default and the exposed port", () => {
  assert.equal(FINAL_ENV.PORT, "8888");
  const exposed = only("EXPOSE").flatMap((e) => e.args.split(" ")).map((p) => p.replace(/\/tcp$/, ""));
  assert.deepEqual(exposed, [FINAL_ENV.PORT]);
});

test("defaults: DATABASE_URL sqlite in /data, UPLOAD_DIR /uploads, both VOLUMEs; CHAT_WEB_DIR holds the installed UI", () => {
  assert.equal(FINAL_ENV.DATABASE_URL, "sqlite:/data/chat.db");
  assert.equal(FINAL_ENV.UPLOAD_DIR, "/uploads");
  const volumes = only("VOLUME").flatMap((v) => execForm(v.args) ?? v.args.split(" "));
  const db = sqliteDir(FINAL_ENV.DATABASE_URL);
  assert.ok(volumes.some((v) => isUnder(db, v)), `the database directory ${db} is not a VOLUME (${volumes})`);
  assert.ok(volumes.some((v) => isUnder(FINAL_ENV.UPLOAD_DIR, v)), `UPLOAD_DIR is not a VOLUME (${volumes})`);
  const web = only("COPY").find((c) => /build\/release\/web\/?\s/.test(c.args));
  assert.ok(web, "the web UI (build/release/web) is copied from the build stage");
  const dest = web.args.split(" ").pop().replace(/\/$/, "");
  assert.equal(FINAL_ENV.CHAT_WEB_DIR, dest, "CHAT_WEB_DIR points at the copied web UI");
  // The volumes exist and belong to the user (a fresh named volume copies them).
  const runs = only("RUN").map((r) => r.args).join("\n");
  for (const v of volumes) assert.match(runs, new RegExp(`mkdir -p[^\\n]*${v}\\b`), `${v} created`);
  assert.match(runs, /chown chat:chat \/data \/uploads/);
});

test("every ENV of the final stage is a setting chatd --help documents", () => {
  const names = Object.keys(FINAL_ENV);
  assert.ok(names.length >= 4);
  assert.deepEqual(undocumented(names), []);
});

test(".dockerignore: the context holds the sources and web UI, not build output, node_modules or .git", () => {
  const rules = readRepo(".dockerignore").split("\n");
  const tracked = run("git", ["ls-files"], { cwd: ROOT }).stdout.split("\n").filter(Boolean);
  assert.ok(tracked.length > 50, "git ls-files");
  const needed = tracked.filter((f) =>
    f === "CMakeLists.txt" || f === "CMakePresets.json" || f.startsWith("src/") ||
    (f.startsWith("web/") && !f.includes("node_modules") && f !== "web/.gitignore"));
  const excluded = needed.filter((f) => !dockerignoreIncludes(rules, f));
  assert.deepEqual(excluded, [], "files the build needs are excluded from the context");
  for (const f of ["build/release/chatd", "web/node_modules/socket.io-client/package.json",
    "tests/node_modules/yaml/package.json", ".git/HEAD", "data/chat.db", "uploads/x.webp", "build/lead/chatd"]) {
    assert.ok(!dockerignoreIncludes(rules, f), `${f} should not be in the build context`);
  }
  // Every COPY from the context names something the context holds.
  for (const c of INS.filter((i) => i.op === "COPY" && !i.args.includes("--from="))) {
    const srcs = c.args.split(" ").slice(0, -1);
    for (const s of srcs) {
      const rel = s.replace(/\/$/, "");
      const present = tracked.some((f) => (f === rel || f.startsWith(`${rel}/`)) && dockerignoreIncludes(rules, f));
      assert.ok(present, `COPY ${s} (line ${c.line}): nothing of it is in the build context`);
    }
  }
});
