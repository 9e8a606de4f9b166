// chatd started before its PostgreSQL is reachable (a first `kubectl apply` or `docker compose
// up`: initdb still running) retries with backoff instead of exiting and crash-looping (issue
// #10). Nothing listens meanwhile (probes and load balancers see a replica that is not ready);
// once the database answers, chatd starts and is ready. After CHAT_STORE_STARTUP_TIMEOUT_MS it
// gives up with a clear message; SIGTERM ends the wait at once. The database is the test services' PostgreSQL
// (scripts/services.sh), reached through a TCP relay that this test opens only later.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import net from "node:net";
import { after, before, test } from "node:test";

const BIN = process.env.CHATD;
const PG = new URL(process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:55432/postgres");
const DB = `chatd_startup_${process.pid}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function psql(sql) {
  const r = spawnSync("psql", ["-v", "ON_ERROR_STOP=1", "-X", "-q", "-h", PG.hostname, "-p", PG.port, "-U", PG.username || "postgres", "-d", "postgres", "-c", sql], { encoding: "utf8", timeout: 20000 });
  assert.equal(r.status, 0, `psql ${sql}: ${r.stderr}`);
}

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

/** A TCP relay from 127.0.0.1:port to the real PostgreSQL: "the database comes up". */
function relay(port) {
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(PG.port), PG.hostname);
    client.pipe(upstream).pipe(client);
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}

function startChatd(dbPort, extraEnv) {
  const proc = spawn(BIN, [], {
    env: {
      PATH: process.env.PATH,
      ASAN_OPTIONS: "detect_leaks=1",
      HOST: "127.0.0.1",
      PORT: String(extraEnv.PORT),
      CHAT_THREADS: "1",
      DATABASE_URL: `postgres://${PG.username || "postgres"}@127.0.0.1:${dbPort}/${DB}`,
      BLOB_STORE: "db",
      ...extraEnv,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const out = { text: "" };
  proc.stdout.on("data", (d) => (out.text += d));
  proc.stderr.on("data", (d) => (out.text += d));
  const exited = new Promise((resolve) => proc.on("exit", (code, signal) => resolve({ code, signal })));
  return { proc, out, exited };
}

async function status(port, path) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(1000) });
    return res.status;
  } catch {
    return null; // nothing listening
  }
}

before(() => {
  assert.ok(BIN, "CHATD is not set");
  psql(`CREATE DATABASE ${DB}`);
});
after(() => psql(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`));

test("a database that comes up later: chatd waits (not listening), then starts and is ready", async () => {
  const dbPort = await freePort();
  const port = await freePort();
  const chatd = startChatd(dbPort, { PORT: port, CHAT_STORE_STARTUP_TIMEOUT_MS: "60000" });
  let db;
  try {
    await sleep(2500);
    assert.equal(chatd.proc.exitCode, null, `chatd exited while the database was not up:\n${chatd.out.text}`);
    assert.equal(await status(port, "/healthz"), null, "nothing listens before the store answers");
    assert.match(chatd.out.text, /store: not reachable yet .*trying again in \d+ ms/);
    db = await relay(dbPort);
    const deadline = Date.now() + 20000;
    while ((await status(port, "/readyz")) !== 200) {
      assert.ok(Date.now() < deadline, `not ready 20 s after the database came up:\n${chatd.out.text}`);
      assert.equal(chatd.proc.exitCode, null, `chatd exited:\n${chatd.out.text}`);
      await sleep(200);
    }
    assert.equal(await status(port, "/healthz"), 200);
    assert.match(chatd.out.text, /store: reachable after \d+ attempts/);
    chatd.proc.kill("SIGTERM");
    const exit = await chatd.exited;
    assert.deepEqual(exit, { code: 0, signal: null }, chatd.out.text);
    assert.doesNotMatch(chatd.out.text, /AddressSanitizer|LeakSanitizer|runtime error:/);
  } finally {
    if (chatd.proc.exitCode === null) chatd.proc.kill("SIGKILL");
    db?.close();
  }
});

test("a database that never comes up: chatd gives up after CHAT_STORE_STARTUP_TIMEOUT_MS with the reason", async () => {
  const dbPort = await freePort();
  const port = await freePort();
  const started = Date.now();
  const chatd = startChatd(dbPort, { PORT: port, CHAT_STORE_STARTUP_TIMEOUT_MS: "2000" });
  const exit = await Promise.race([chatd.exited, sleep(20000).then(() => "hung")]);
  if (exit === "hung") chatd.proc.kill("SIGKILL");
  assert.notEqual(exit, "hung", `chatd did not give up:\n${chatd.out.text}`);
  assert.equal(exit.code, 1, chatd.out.text);
  assert.ok(Date.now() - started >= 1500, "it retried before giving up");
  assert.match(chatd.out.text, /cannot open the database \(tried \d+ times\)/);
  assert.doesNotMatch(chatd.out.text, /AddressSanitizer|LeakSanitizer|runtime error:/);
});

test("SIGTERM while waiting for the database ends chatd at once, cleanly (it is PID 1 in a container)", async () => {
  const dbPort = await freePort();
  const port = await freePort();
  const chatd = startChatd(dbPort, { PORT: port, CHAT_STORE_STARTUP_TIMEOUT_MS: "60000" });
  try {
    const deadline = Date.now() + 10000;
    while (!/store: not reachable yet/.test(chatd.out.text)) {
      assert.ok(Date.now() < deadline, `chatd did not start waiting:\n${chatd.out.text}`);
      await sleep(100);
    }
    const stoppedAt = Date.now();
    chatd.proc.kill("SIGTERM");
    const exit = await Promise.race([chatd.exited, sleep(5000).then(() => "hung")]);
    assert.notEqual(exit, "hung", `SIGTERM did not end the wait:\n${chatd.out.text}`);
    assert.deepEqual(exit, { code: 0, signal: null }, chatd.out.text);
    assert.ok(Date.now() - stoppedAt < 2000, `took ${Date.now() - stoppedAt} ms`);
    assert.match(chatd.out.text, /stopped while waiting for the database/);
    assert.doesNotMatch(chatd.out.text, /AddressSanitizer|LeakSanitizer|runtime error:/);
  } finally {
    if (chatd.proc.exitCode === null) chatd.proc.kill("SIGKILL");
  }
});
