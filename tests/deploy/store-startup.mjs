// chatd started before its PostgreSQL is reachable (a first `kubectl apply` or `docker compose
// up`: initdb still running) retries with backoff instead of exiting and crash-looping (issue
// #10). Nothing listens meanwhile (probes and load balancers see a replica that is not ready);
// once the database answers, chatd starts and is ready. After CHAT_STORE_STARTUP_TIMEOUT_MS it
// gives up with a clear message; SIGTERM ends the wait at once. The database is the test services' PostgreSQL
// (scripts/services.sh), reached through a TCP relay that this test opens only later.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, test } from "node:test";
import { Chatd, sanitizerReport, tail } from "../lib/chatd.mjs";
import { freePort, tcpRelay } from "../lib/net.mjs";
import { sleep } from "../lib/wait.mjs";

const PG = new URL(process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:55432/postgres");
const DB = `chatd_startup_${process.pid}`;

function psql(sql) {
  const r = spawnSync("psql", ["-v", "ON_ERROR_STOP=1", "-X", "-q", "-h", PG.hostname, "-p", PG.port, "-U", PG.username || "postgres", "-d", "postgres", "-c", sql], { encoding: "utf8", timeout: 20000 });
  assert.equal(r.status, 0, `psql ${sql}: ${r.stderr}`);
}

/** A TCP relay from 127.0.0.1:port to the real PostgreSQL: "the database comes up". */
function relay(port) {
  return tcpRelay(port, { host: PG.hostname, port: PG.port });
}

/** Starts chatd on PostgreSQL through 127.0.0.1:dbPort, without waiting for it to be ready. */
async function startChatd(dbPort, extraEnv) {
  const chatd = new Chatd({
    dirPrefix: "chatd-startup-",
    env: (c) => ({
      ASAN_OPTIONS: "detect_leaks=1",
      HOST: c.host,
      PORT: String(c.port),
      CHAT_THREADS: "1",
      DATABASE_URL: `postgres://${PG.username || "postgres"}@127.0.0.1:${dbPort}/${DB}`,
      BLOB_STORE: "db",
      ...extraEnv,
    }),
  });
  return await chatd.start({ waitReady: false });
}

async function status(chatd, path) {
  try {
    const res = await fetch(`${chatd.url}${path}`, { signal: AbortSignal.timeout(1000) });
    return res.status;
  } catch {
    return null; // nothing listening
  }
}

function assertNoSanitizerReport(chatd) {
  assert.equal(sanitizerReport(chatd.output()), null, tail(chatd.output(), 6000));
}

async function cleanUp(chatd) {
  if (chatd.running) await chatd.kill();
  chatd.removeFiles();
}

before(() => {
  assert.ok(process.env.CHATD, "CHATD is not set");
  psql(`CREATE DATABASE ${DB}`);
});
after(() => psql(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`));

test("a database that comes up later: chatd waits (not listening), then starts and is ready", async () => {
  const dbPort = await freePort();
  const chatd = await startChatd(dbPort, { CHAT_STORE_STARTUP_TIMEOUT_MS: "60000" });
  let db;
  try {
    await sleep(2500);
    assert.ok(chatd.running, `chatd exited while the database was not up:\n${chatd.output()}`);
    assert.equal(await status(chatd, "/healthz"), null, "nothing listens before the store answers");
    assert.match(chatd.output(), /store: not reachable yet .*trying again in \d+ ms/);
    db = await relay(dbPort);
    const deadline = Date.now() + 20000;
    while ((await status(chatd, "/readyz")) !== 200) {
      assert.ok(Date.now() < deadline, `not ready 20 s after the database came up:\n${chatd.output()}`);
      assert.ok(chatd.running, `chatd exited:\n${chatd.output()}`);
      await sleep(200);
    }
    assert.equal(await status(chatd, "/healthz"), 200);
    assert.match(chatd.output(), /store: reachable after \d+ attempts/);
    // SIGTERM: exit code 0, no sanitizer report.
    await chatd.stop({ graceMs: 15000 });
  } finally {
    await cleanUp(chatd);
    db?.close();
  }
});

test("a database that never comes up: chatd gives up after CHAT_STORE_STARTUP_TIMEOUT_MS with the reason", async () => {
  const dbPort = await freePort();
  const started = Date.now();
  const chatd = await startChatd(dbPort, { CHAT_STORE_STARTUP_TIMEOUT_MS: "2000" });
  try {
    const exit = await chatd.waitForExit(20000);
    assert.ok(exit, `chatd did not give up:\n${chatd.output()}`);
    assert.equal(exit.code, 1, chatd.output());
    assert.ok(Date.now() - started >= 1500, "it retried before giving up");
    assert.match(chatd.output(), /cannot open the database \(tried \d+ times\)/);
    assertNoSanitizerReport(chatd);
  } finally {
    await cleanUp(chatd);
  }
});

test("SIGTERM while waiting for the database ends chatd at once, cleanly (it is PID 1 in a container)", async () => {
  const dbPort = await freePort();
  const chatd = await startChatd(dbPort, { CHAT_STORE_STARTUP_TIMEOUT_MS: "60000" });
  try {
    await chatd.waitForOutput(/store: not reachable yet/, { ms: 10000 });
    const stoppedAt = Date.now();
    chatd.signal("SIGTERM");
    const exit = await chatd.waitForExit(5000);
    assert.ok(exit, `SIGTERM did not end the wait:\n${chatd.output()}`);
    assert.deepEqual(exit, { code: 0, signal: null }, chatd.output());
    assert.ok(Date.now() - stoppedAt < 2000, `took ${Date.now() - stoppedAt} ms`);
    assert.match(chatd.output(), /stopped while waiting for the database/);
    assertNoSanitizerReport(chatd);
  } finally {
    await cleanUp(chatd);
  }
});
