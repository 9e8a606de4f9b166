// What the deployment files rely on chatd for, checked on a real chatd: the endpoints the
// probes and load balancers call (/healthz, /readyz, /metrics), `chatd --health-check` (the
// Docker HEALTHCHECK), and draining on SIGTERM within CHAT_SHUTDOWN_GRACE_MS (compose's
// stop_grace_period and Kubernetes' terminationGracePeriodSeconds are sized for it).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Chatd, sanitizerReport, tail } from "../lib/chatd.mjs";
import { freePort } from "../lib/net.mjs";
import { sleep } from "../lib/wait.mjs";
import { chatdHelp, run } from "./lib.mjs";

const GRACE_MS = 2000;
let chatd;

async function get(p) {
  const res = await fetch(`${chatd.url}${p}`, { signal: AbortSignal.timeout(3000) });
  return { status: res.status, type: res.headers.get("content-type") ?? "", body: await res.text() };
}

before(async () => {
  assert.ok(process.env.CHATD, "CHATD is not set");
  // Configured the way the deployment files configure it: by environment only.
  chatd = new Chatd({
    dirPrefix: "chat-probes-",
    readyTimeoutMs: 15000,
    env: (c) => ({
      ASAN_OPTIONS: "detect_leaks=1",
      HOST: c.host,
      PORT: String(c.port),
      CHAT_THREADS: "1",
      DATABASE_URL: `sqlite:${c.dir}/chat.db`,
      UPLOAD_DIR: `${c.dir}/uploads`,
      CHAT_SHUTDOWN_GRACE_MS: String(GRACE_MS),
    }),
  });
  await chatd.start();
});

after(async () => {
  if (chatd?.running) await chatd.kill();
  chatd?.removeFiles();
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
  const env = { ...process.env, ASAN_OPTIONS: "detect_leaks=0", PORT: String(chatd.port) };
  const ok = run(chatd.binary, ["--health-check"], { env, timeout: 10000 });
  assert.equal(ok.code, 0, `--health-check against a live chatd: ${ok.stderr}`);
  const dead = await freePort();
  const bad = run(chatd.binary, ["--health-check"], { env: { ...env, PORT: String(dead) }, timeout: 10000 });
  assert.equal(bad.code, 1, `--health-check with nothing on port ${dead}: ${bad.stderr}`);
});

test("SIGTERM: not ready any more, then a clean exit within CHAT_SHUTDOWN_GRACE_MS", async () => {
  const t0 = Date.now();
  chatd.signal("SIGTERM");
  // While draining, /readyz says 503 (or the listener is already closed).
  let sawNotReady = false;
  while (!sawNotReady && chatd.running && Date.now() - t0 < GRACE_MS) {
    try {
      const r = await get("/readyz");
      assert.notEqual(r.status, 200, "/readyz must not stay 200 after SIGTERM");
      if (r.status === 503) sawNotReady = true;
    } catch {
      sawNotReady = true; // connection refused: out of rotation too
    }
    await sleep(50);
  }
  const exit = await chatd.waitForExit(GRACE_MS + 5000);
  const took = Date.now() - t0;
  assert.ok(exit, `chatd did not exit by itself within ${GRACE_MS + 5000} ms`);
  assert.equal(exit.signal, null, `chatd was ended by ${exit.signal}`);
  assert.equal(exit.code, 0, `exit code after SIGTERM:\n${tail(chatd.output(), 2000)}`);
  assert.ok(took <= GRACE_MS + 3000, `exit took ${took} ms with CHAT_SHUTDOWN_GRACE_MS=${GRACE_MS}`);
  assert.equal(sanitizerReport(chatd.output()), null, tail(chatd.output(), 4000));
});
