// What the deployment files rely on chatd for, checked on a real chatd: the endpoints the
// probes and load balancers call (/healthz, /readyz, /metrics), `chatd --health-check` (the
// Docker HEALTHCHECK), and draining on SIGTERM within CHAT_SHUTDOWN_GRACE_MS (compose's
// stop_grace_period and Kubernetes' terminationGracePeriodSeconds are sized for it).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { chatdHelp, run } from "./lib.mjs";

const BIN = process.env.CHATD;
const GRACE_MS = 2000;
let dir;
let port;
let proc;
let exited;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function get(p) {
  const res = await fetch(`http://127.0.0.1:${port}${p}`, { signal: AbortSignal.timeout(3000) });
  return { status: res.status, type: res.headers.get("content-type") ?? "", body: await res.text() };
}

before(async () => {
  assert.ok(BIN, "CHATD is not set");
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "chat-probes-"));
  port = await freePort();
  proc = spawn(BIN, [], {
    env: {
      ...process.env,
      ASAN_OPTIONS: "detect_leaks=1",
      HOST: "127.0.0.1",
      PORT: String(port),
      CHAT_THREADS: "1",
      DATABASE_URL: `sqlite:${dir}/chat.db`,
      UPLOAD_DIR: `${dir}/uploads`,
      CHAT_SHUTDOWN_GRACE_MS: String(GRACE_MS),
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  proc.stderr.on("data", (d) => { stderr += d; });
  exited = new Promise((resolve) => proc.on("exit", (code, signal) => resolve({ code, signal, stderr })));
  const deadline = Date.now() + 15000;
  for (;;) {
    try {
      if ((await get("/healthz")).status === 200) break;
    } catch { /* not listening yet */ }
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`chatd did not start:\n${stderr}`);
    await sleep(100);
  }
});

after(async () => {
  if (proc && proc.exitCode === null && proc.signalCode === null) {
    proc.kill("SIGKILL");
    await exited;
  }
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test("chatd --help documents the settings the deployment files use", () => {
  const { env } = chatdHelp();
  for (const n of ["PORT", "DATABASE_URL", "UPLOAD_DIR", "BLOB_STORE", "SCALABLE", "BROKER", "REDIS_HOST",
    "NATS_HOST", "RABBIT_HOST", "RABBIT_USER", "RABBIT_PASSWORD", "CHAT_WEB_DIR", "CHAT_SHUTDOWN_GRACE_MS",
    "LOG_FORMAT", "CHAT_THREADS", "REPLICA_NAME"]) {
    assert.ok(env.has(n), `${n} is not in chatd --help`);
  }
  assert.equal(env.get("PORT"), "8888");
  assert.match(chatdHelp().text, /--health-check/, "--health-check is in chatd --help");
});

test("GET /healthz (liveness) answers 200", async () => {
  const r = await get("/healthz");
  assert.equal(r.status, 200);
  assert.deepEqual(JSON.parse(r.body), { status: "ok" });
});

test("GET /readyz (readiness) answers 200 ready", async () => {
  const r = await get("/readyz");
  assert.equal(r.status, 200, r.body);
  assert.deepEqual(JSON.parse(r.body), { status: "ready" });
});

test("GET /metrics answers Prometheus text", async () => {
  const r = await get("/metrics");
  assert.equal(r.status, 200);
  assert.match(r.type, /^text\/plain/);
  assert.match(r.body, /^# (HELP|TYPE) \S+/m);
});

test("chatd --health-check exits 0 against a running chatd and 1 when nothing answers", async () => {
  const env = { ...process.env, ASAN_OPTIONS: "detect_leaks=0", PORT: String(port) };
  const ok = run(BIN, ["--health-check"], { env, timeout: 10000 });
  assert.equal(ok.code, 0, `--health-check against a live chatd: ${ok.stderr}`);
  const dead = await freePort();
  const bad = run(BIN, ["--health-check"], { env: { ...env, PORT: String(dead) }, timeout: 10000 });
  assert.equal(bad.code, 1, `--health-check with nothing on port ${dead}: ${bad.stderr}`);
});

test("SIGTERM: not ready any more, then a clean exit within CHAT_SHUTDOWN_GRACE_MS", async () => {
  const t0 = Date.now();
  proc.kill("SIGTERM");
  // While draining, /readyz says 503 (or the listener is already closed).
  let sawNotReady = false;
  while (!sawNotReady && proc.exitCode === null && Date.now() - t0 < GRACE_MS) {
    try {
      const r = await get("/readyz");
      assert.notEqual(r.status, 200, "/readyz must not stay 200 after SIGTERM");
      if (r.status === 503) sawNotReady = true;
    } catch {
      sawNotReady = true; // connection refused: out of rotation too
    }
    await sleep(50);
  }
  const { code, signal, stderr } = await Promise.race([
    exited,
    sleep(GRACE_MS + 5000).then(() => ({ code: null, signal: "timeout", stderr: "" })),
  ]);
  const took = Date.now() - t0;
  assert.equal(signal, null, `chatd did not exit by itself (${signal}) within ${GRACE_MS + 5000} ms`);
  assert.equal(code, 0, `exit code after SIGTERM:\n${stderr.slice(-2000)}`);
  assert.ok(took <= GRACE_MS + 3000, `exit took ${took} ms with CHAT_SHUTDOWN_GRACE_MS=${GRACE_MS}`);
});
