// What a cluster test file uses: the run's infrastructure (from CLUSTER_STATE, written by
// run.mjs), three chatd replicas started in their namespaces on a fresh PostgreSQL database,
// HTTP requests to the load balancer or to one replica, and bounded waits.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, afterEach, before, test } from "node:test";
import { HOST_ADDR, ROOT, SERVICE_PORTS, brokerService, haproxyStats, psql, services } from "./infra.mjs";

export { sleep };

if (!process.env.CLUSTER_STATE)
  throw new Error("CLUSTER_STATE is not set: run the cluster tests through tests/cluster/run.mjs (ctest -R cluster)");
/** {broker, blobStore, network, haproxy, workDir, replicaPort, replicaAddrs} */
export const state = JSON.parse(readFileSync(process.env.CLUSTER_STATE, "utf8"));

// If the runner dies (killed outright), stop this file's replicas and exit instead of running on.
const liveReplicas = new Set();
const runnerPid = Number(process.env.CLUSTER_RUNNER_PID || 0);
if (runnerPid) {
  setInterval(() => {
    try {
      process.kill(runnerPid, 0);
    } catch {
      for (const r of liveReplicas) r.proc?.kill("SIGKILL");
      console.error(`cluster: the runner (pid ${runnerPid}) is gone; replicas killed, exiting`);
      process.exit(1);
    }
  }, 1000).unref();
}

export const CHATD = path.resolve(ROOT, "tests", process.env.CHATD || "../build/test/chatd");
const SANITIZER_PATTERNS = ["AddressSanitizer", "LeakSanitizer", "runtime error:", "ThreadSanitizer"];

export function tail(s, n = 6000) {
  return s.length > n ? "…" + s.slice(-n) : s;
}

/** Rejects after `ms` with a clear message; otherwise the promise's own outcome. */
export function within(promise, ms, what = "operation") {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Waits until `predicate()` (may be async) is truthy, polling every `every` ms; rejects after `ms`. */
export async function until(predicate, ms, what, every = 50) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await predicate();
    if (v) return v;
    if (Date.now() > deadline) {
      const detail = typeof what === "function" ? what() : what;
      throw new Error(`timed out after ${ms} ms waiting for ${detail}`);
    }
    await sleep(every);
  }
}

// ---------------------------------------------------------------------------------------------
// Replicas

function replicaEnv(extra) {
  const env = { ...process.env };
  // Nothing inherited may change chatd's mode.
  for (const k of Object.keys(env))
    if (k.startsWith("CHAT_") || k.startsWith("REDIS_") || k.startsWith("NATS_") || k.startsWith("RABBIT_") ||
      ["HOST", "PORT", "DATABASE_URL", "UPLOAD_DIR", "BLOB_STORE", "SCALABLE", "BROKER", "REPLICA_NAME", "LOG_LEVEL", "LOG_FORMAT"].includes(k))
      delete env[k];
  return { ...env, ...extra };
}

/** One chatd in network namespace `ns`, listening on addr:port; output kept and logged to a file. */
export class Replica {
  constructor({ index, ns, addr, port, env, logFile }) {
    this.index = index;
    this.name = `chat${index + 1}`;
    this.ns = ns;
    this.addr = addr;
    this.port = port;
    this.env = env;
    this.logFile = logFile;
    this.chunks = [];
    this.proc = null;
    this.exit = null;
    this.stopping = false;
    this.killed = false;
  }

  get url() {
    return `http://${this.addr}:${this.port}`;
  }

  get running() {
    return this.proc !== null && this.exit === null;
  }

  output() {
    return this.chunks.join("");
  }

  mark() {
    return this.output().length;
  }

  async start({ readyMs = 30000 } = {}) {
    if (!existsSync(CHATD)) throw new Error(`chatd binary not found at ${CHATD} (set CHATD)`);
    this.chunks.push(`\n=== ${this.name}: ip netns exec ${this.ns} ${CHATD} (${this.addr}:${this.port}) ===\n`);
    const log = createWriteStream(this.logFile, { flags: "a" });
    // `ip netns exec` execs chatd in place: the pid is chatd's, so signals reach it directly.
    const proc = spawn("ip", ["netns", "exec", this.ns, CHATD], { stdio: ["ignore", "pipe", "pipe"], env: this.env });
    this.proc = proc;
    this.exit = null;
    this.stopping = false;
    this.killed = false;
    liveReplicas.add(this);
    this.exited = new Promise((resolve) => {
      proc.on("exit", (code, signal) => {
        liveReplicas.delete(this);
        if (this.proc === proc) this.exit = { code, signal };
        resolve({ code, signal });
      });
    });
    const keep = (d) => {
      this.chunks.push(d.toString());
      log.write(d);
    };
    proc.stdout.on("data", keep);
    proc.stderr.on("data", keep);
    proc.on("close", () => log.end());
    const spawnError = new Promise((resolve) => proc.on("error", (e) => resolve(e)));
    const ready = await Promise.race([this.waitReady(readyMs), spawnError]);
    if (ready === true) return this;
    if (this.running) {
      proc.kill("SIGKILL");
      await this.exited;
    }
    throw ready instanceof Error ? ready : new Error(`${this.name} did not answer /healthz within ${readyMs} ms:\n${tail(this.output(), 4000)}`);
  }

  async waitReady(ms) {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (!this.running) return false;
      try {
        const res = await request(this.url, "GET", "/healthz", { ms: 1000 });
        if (res.status === 200 && res.json?.status === "ok") return true;
      } catch {
        // not up yet
      }
      await sleep(100);
    }
    return false;
  }

  /** SIGKILL: no shutdown, no sanitizer exit report. */
  async kill() {
    if (!this.running) throw new Error(`${this.name} is not running (exit ${JSON.stringify(this.exit)})`);
    this.killed = true;
    this.stopping = true;
    this.proc.kill("SIGKILL");
    await within(this.exited, 10000, `${this.name} exiting after SIGKILL`);
  }

  /** Throws when the replica printed a sanitizer report or died on its own. */
  assertClean() {
    const out = this.output();
    const hit = SANITIZER_PATTERNS.find((p) => out.includes(p));
    if (hit) throw new Error(`${this.name} output contains "${hit}" (log: ${this.logFile}):\n${tail(out)}`);
    if (this.proc && !this.running && !this.stopping)
      throw new Error(`${this.name} exited unexpectedly (code ${this.exit.code}, signal ${this.exit.signal}; log: ${this.logFile}):\n${tail(out)}`);
  }

  /** SIGTERM; throws unless it exits with code 0 within `graceMs`, sanitizer-clean. */
  async stop({ graceMs = 15000 } = {}) {
    if (!this.proc || this.stopping) return;
    this.stopping = true;
    const problems = [];
    if (!this.running) {
      problems.push(`${this.name} exited on its own before stop (code ${this.exit.code}, signal ${this.exit.signal})`);
    } else {
      this.proc.kill("SIGTERM");
      const timer = setTimeout(() => {
        problems.push(`${this.name} did not exit within ${graceMs} ms of SIGTERM; killed`);
        this.proc.kill("SIGKILL");
      }, graceMs);
      await this.exited;
      clearTimeout(timer);
      await sleep(50);
      if (problems.length === 0 && (this.exit.code !== 0 || this.exit.signal !== null))
        problems.push(`${this.name} exited with code ${this.exit.code}, signal ${this.exit.signal} after SIGTERM`);
    }
    const hit = SANITIZER_PATTERNS.find((p) => this.output().includes(p));
    if (hit) problems.unshift(`${this.name} output contains "${hit}"`);
    if (problems.length)
      throw new Error(`${problems.join("; ")} (log: ${this.logFile})\n--- ${this.name} output (tail) ---\n${tail(this.output())}`);
  }
}

/**
 * Three replicas of one test file: a fresh PostgreSQL database, the run's broker, one shared
 * upload directory (BLOB_STORE=fs) or blobs in the database (BLOB_STORE=db).
 */
export class Cluster {
  constructor(label, env = {}) {
    this.label = label;
    this.extraEnv = env;
    this.dir = path.join(state.workDir, label);
    mkdirSync(this.dir, { recursive: true });
    this.uploadDir = path.join(this.dir, "uploads");
    this.webDir = path.join(this.dir, "web");
    mkdirSync(this.uploadDir, { recursive: true });
    mkdirSync(this.webDir, { recursive: true });
    writeFileSync(path.join(this.webDir, "index.html"), "<!doctype html><title>chat</title>\n");
    this.db = `chat_${state.broker}_${label.replace(/[^a-z0-9]/gi, "_").toLowerCase()}_${Date.now().toString(36)}`;
    this.replicas = [];
    this.lbUrl = state.haproxy.url;
  }

  get databaseUrl() {
    // CLUSTER_DEV_SQLITE=1: each replica on its own SQLite file, for working on the harness
    // before chatd speaks PostgreSQL (cross-replica tests cannot pass that way).
    if (process.env.CLUSTER_DEV_SQLITE) return null;
    return `postgres://postgres@${HOST_ADDR}:${SERVICE_PORTS.PG_PORT}/${this.db}`;
  }

  envFor(i, extra = {}) {
    const b = state.broker;
    return replicaEnv({
      HOST: state.replicaAddrs[i],
      PORT: String(state.replicaPort),
      DATABASE_URL: this.databaseUrl ?? `sqlite:${path.join(this.dir, `chat${i + 1}.db`)}`,
      SCALABLE: "true",
      BROKER: b,
      // Only the run's broker's address, as a deployment would set it.
      ...(b === "redis" ? { REDIS_HOST: HOST_ADDR, REDIS_PORT: String(SERVICE_PORTS.REDIS_PORT) } : {}),
      ...(b === "nats" ? { NATS_HOST: HOST_ADDR, NATS_PORT: String(SERVICE_PORTS.NATS_PORT) } : {}),
      ...(b === "amqp" ? { RABBIT_HOST: HOST_ADDR, RABBIT_PORT: String(SERVICE_PORTS.AMQP_PORT), RABBIT_USER: "guest", RABBIT_PASSWORD: "guest" } : {}),
      UPLOAD_DIR: this.uploadDir,
      BLOB_STORE: state.blobStore,
      REPLICA_NAME: `chat${i + 1}`,
      LOG_LEVEL: "debug",
      CHAT_WEB_DIR: this.webDir,
      // Every test client reaches the replicas from one address, through HAProxy: the
      // per-address sign-in limits (docs/SECURITY.md) are raised, as for every test server.
      CHAT_SIGN_INS_PER_MINUTE: "100000",
      CHAT_SIGN_UPS_PER_HOUR: "100000",
      CHAT_SIGN_UPS_PER_MINUTE_TOTAL: "100000",
      // A SIGKILLed replica makes no exit report anyway; the stopped ones are checked for leaks.
      ASAN_OPTIONS: "detect_leaks=1",
      ...this.extraEnv,
      ...extra,
    });
  }

  async start() {
    await psql(`CREATE DATABASE ${this.db}`);
    this.replicas = state.network.namespaces.map(
      (ns, i) =>
        new Replica({
          index: i,
          ns,
          addr: state.replicaAddrs[i],
          port: state.replicaPort,
          env: this.envFor(i),
          logFile: path.join(this.dir, `chat${i + 1}.log`),
        }),
    );
    // One after another: three ASan start-ups at once on two shared cores only slow each other
    // down, and the first one creates the schema.
    for (const r of this.replicas) await r.start();
    await this.waitBalancerUp();
    return this;
  }

  /** Waits until HAProxy's health checks see every running replica UP (and the stopped ones not). */
  async waitBalancerUp(ms = 20000) {
    let last = [];
    await until(
      async () => {
        last = (await haproxyStats(state.haproxy.statsSocket)).filter((r) => r.pxname === "chat" && /^chat\d$/.test(r.svname));
        return this.replicas.every((r) => {
          const row = last.find((x) => x.svname === r.name);
          return row && (r.running ? row.status === "UP" : row.status.startsWith("DOWN"));
        });
      },
      ms,
      () => `HAProxy to see ${this.replicas.map((r) => `${r.name} ${r.running ? "UP" : "DOWN"}`).join(", ")}; it says ${last.map((r) => `${r.svname} ${r.status}`).join(", ")}`,
      200,
    );
  }

  replica(i) {
    return this.replicas[i];
  }

  output() {
    return this.replicas.map((r) => `--- ${r.name} (${r.logFile}) ---\n${tail(r.output(), 3000)}`).join("\n");
  }

  marks() {
    return this.replicas.map((r) => r.mark());
  }

  logSince(marks) {
    return this.replicas
      .map((r, i) => `--- ${r.name} (full log: ${r.logFile}) ---\n${tail(r.output().slice(marks[i] ?? 0), 2500) || "(nothing)"}`)
      .join("\n");
  }

  assertClean() {
    for (const r of this.replicas) r.assertClean();
  }

  async stop() {
    const errors = [];
    for (const r of this.replicas) {
      if (r.killed) continue;
      try {
        await r.stop();
      } catch (e) {
        errors.push(e.message);
      }
    }
    if (errors.length) throw new Error(errors.join("\n\n"));
  }

  /** Stops and starts the cluster's PostgreSQL or broker: scripts/services.sh stop|start NAME. */
  static async service(action, name) {
    await services(state.broker, action, [name], { timeoutMs: 90000 });
  }

  static brokerServiceName() {
    return brokerService(state.broker);
  }
}

// ---------------------------------------------------------------------------------------------
// node:test wiring

/**
 * Per-file fixture: a fresh cluster before the file's tests, every client closed and the replicas
 * checked after each test, the replicas stopped (clean exits asserted) after the file.
 */
export function useCluster(label, { closeClients, env } = {}) {
  const fx = { cluster: null };
  before(async () => {
    fx.cluster = new Cluster(label, env);
    await fx.cluster.start();
  });
  afterEach(async () => {
    closeClients?.();
    await sleep(100);
    fx.cluster?.assertClean();
  });
  after(async () => {
    closeClients?.();
    if (fx.cluster) await fx.cluster.stop();
  });
  return fx;
}

/** test() that appends the replicas' logs from while it ran to a failure. */
export function clusterTest(fx, name, fn, options = {}) {
  test(name, { timeout: 120000, ...options }, async (t) => {
    const marks = fx.cluster ? fx.cluster.marks() : [];
    try {
      await fn(t);
    } catch (e) {
      await sleep(200);
      const extra = `\n--- replica logs during this test ---\n${fx.cluster ? fx.cluster.logSince(marks) : "(no cluster)"}\n--- end of replica logs ---`;
      if (e && typeof e === "object" && typeof e.message === "string") {
        try {
          e.message += extra;
          if (typeof e.stack === "string") e.stack += extra;
        } catch {
          // frozen
        }
      }
      throw e;
    }
  });
}

// ---------------------------------------------------------------------------------------------
// HTTP

/**
 * One HTTP request on its own connection to `base` (http://host:port). Returns {status, headers,
 * buffer, text, json, setCookie}.
 */
export function request(base, method, pathname, { json, body, headers = {}, cookie, ms = 15000 } = {}) {
  const u = new URL(base);
  const h = { ...headers };
  if (cookie) h.cookie = cookie;
  let payload = body;
  if (json !== undefined) {
    payload = Buffer.from(JSON.stringify(json), "utf8");
    h["content-type"] = "application/json";
  }
  if (payload !== undefined) h["content-length"] = String(payload.length);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, method, path: pathname, headers: h, agent: false }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => {
        clearTimeout(timer);
        const buf = Buffer.concat(chunks);
        const text = buf.toString("utf8");
        let parsed;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined;
        }
        resolve({ status: res.statusCode, headers: res.headers, buffer: buf, text, json: parsed, setCookie: res.headers["set-cookie"] ?? [] });
      });
    });
    const timer = setTimeout(() => req.destroy(new Error(`timed out after ${ms} ms: ${method} ${base}${pathname}`)), ms);
    req.on("error", (e) => {
      clearTimeout(timer);
      reject(new Error(`${method} ${base}${pathname}: ${e.message}`));
    });
    req.end(payload);
  });
}

export function cookieValue(setCookie, name) {
  for (const c of setCookie) {
    const m = new RegExp(`^${name}=([^;]*)`).exec(c);
    if (m && m[1] !== "") return m[1];
  }
  return null;
}

/** Signs in (creating the account) through `base`; returns {user, cookie: "chat_session=..."}. */
export async function account(base, name, password = `pw-${name}-secret`) {
  const res = await request(base, "POST", "/api/session", { json: { name, password } });
  assert.ok(res.status === 200 || res.status === 201, `sign-in of ${name} through ${base}: HTTP ${res.status} ${res.text}`);
  const token = cookieValue(res.setCookie, "chat_session");
  assert.ok(token, `sign-in of ${name} set no chat_session cookie: ${JSON.stringify(res.setCookie)}`);
  return { user: res.json.user, cookie: `chat_session=${token}` };
}
