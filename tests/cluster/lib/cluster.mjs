// What a cluster test file uses: the run's infrastructure (from CLUSTER_STATE, written by
// run.mjs) and three chatd replicas (tests/lib/chatd.mjs Chatd, each in its network namespace)
// on a fresh PostgreSQL database, with the node:test wiring of a cluster test file. HTTP,
// accounts, waits and the chat client are the shared ones in tests/lib.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, afterEach, before, test } from "node:test";
import { closeAllClients } from "../../lib/chat-client.mjs";
import { appendLog } from "../../lib/chat-server.mjs";
import { Chatd, tail } from "../../lib/chatd.mjs";
import { sleep, until } from "../../lib/wait.mjs";
import { HOST_ADDR, SERVICE_PORTS, brokerService, haproxyStats, psql, services } from "./infra.mjs";

if (!process.env.CLUSTER_STATE)
  throw new Error("CLUSTER_STATE is not set: run the cluster tests through tests/cluster/run.mjs (ctest -R cluster)");
/** {broker, lb, blobStore, network, haproxy, workDir, replicaPort, replicaAddrs} */
export const state = JSON.parse(readFileSync(process.env.CLUSTER_STATE, "utf8"));
/** The load balancer in front: "roundrobin" (no affinity at all) or "sticky" (HAProxy's SERVERID cookie). */
export const LB = state.lb ?? "sticky";
export const ROUND_ROBIN = LB === "roundrobin";

// If the runner dies (killed outright), kill this file's replicas and exit instead of running on.
const clusters = new Set();
const runnerPid = Number(process.env.CLUSTER_RUNNER_PID || 0);
if (runnerPid) {
  setInterval(() => {
    try {
      process.kill(runnerPid, 0);
    } catch {
      for (const c of clusters) for (const r of c.replicas) if (r.running) r.proc.kill("SIGKILL");
      console.error(`cluster: the runner (pid ${runnerPid}) is gone; replicas killed, exiting`);
      process.exit(1);
    }
  }, 1000).unref();
}

// ---------------------------------------------------------------------------------------------
// Which replica owns an Engine.IO session

/**
 * Each replica logs `engine.io: session tag <TAG>` when it starts, and the id of every Engine.IO
 * session it creates starts with that 8-character tag (issue #14: a replica forwards a request
 * for a session it does not own to the replica the tag names). Tag -> replica name, from every
 * start of every replica of this file's clusters (a restarted replica has a new tag; the old one
 * still names it).
 */
export function sessionTags() {
  const tags = new Map();
  for (const c of clusters)
    for (const r of c.replicas) for (const m of r.output().matchAll(/engine\.io: session tag (\S+)/g)) tags.set(m[1], r.name);
  return tags;
}

/** The replica (chat1..3) that owns Engine.IO session `sid`; throws when no replica logged its tag. */
export function ownerOfSid(sid) {
  if (!sid) throw new Error("no Engine.IO session id (the client is not connected)");
  const tags = sessionTags();
  if (!tags.size)
    throw new Error(
      "the replicas logged no `engine.io: session tag <TAG>` line: cannot tell which replica owns a session " +
        "(chatd without session forwarding, issue #14?)",
    );
  const owner = tags.get(sid.slice(0, 8));
  if (!owner) throw new Error(`session ${sid}: its tag ${sid.slice(0, 8)} is none of the replicas' (${[...tags].map(([t, n]) => `${n} ${t}`).join(", ")})`);
  return owner;
}

// ---------------------------------------------------------------------------------------------
// Replicas

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

  /** Replica i's environment (added to chatdEnv(): the runner's without chatd settings). */
  envFor(i, extra = {}) {
    const b = state.broker;
    return {
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
      // HAProxy (on the host address) forwards X-Forwarded-For, as deployments are told to set up.
      CHAT_TRUSTED_PROXIES: HOST_ADDR,
      // Every test client signs in and sends from the one test host: its per-client and per-user
      // budgets are a test's, not a real user's (tests/hostile covers the limits themselves).
      CHAT_SIGN_INS_PER_MINUTE: "100000",
      CHAT_SIGN_UPS_PER_HOUR: "100000",
      CHAT_SIGN_UPS_PER_MINUTE_TOTAL: "100000",
      CHAT_MESSAGE_RATE: "100",
      CHAT_MESSAGE_BURST: "200",
      // A SIGKILLed replica makes no exit report anyway; the stopped ones are checked for leaks.
      ASAN_OPTIONS: "detect_leaks=1",
      ...this.extraEnv,
      ...extra,
    };
  }

  async start() {
    await psql(`CREATE DATABASE ${this.db}`);
    clusters.add(this);
    this.replicas = state.network.namespaces.map(
      (ns, i) =>
        new Chatd({
          name: `chat${i + 1}`,
          netns: ns,
          host: state.replicaAddrs[i],
          port: state.replicaPort,
          dir: this.dir,
          env: this.envFor(i),
          logFile: path.join(this.dir, `chat${i + 1}.log`),
          readyTimeoutMs: 30000,
          graceMs: 15000,
        }),
    );
    // One after another: three ASan start-ups at once on two shared cores only slow each other
    // down, and the first one creates the schema.
    for (const r of this.replicas) await r.start();
    await this.waitBalancerUp();
    await this.waitPeersKnown();
    return this;
  }

  /**
   * Waits until every running replica has heard every other one's session tag over the broker
   * (`cluster: node ... holds sessions tagged <TAG>`): before that, a request for a session of a
   * replica it has not heard of yet is refused as an unknown session instead of forwarded (the
   * heartbeat that announces a replica comes every CHAT_CLUSTER_HEARTBEAT_MS). Nothing to wait
   * for when the replicas log no session tag (chatd without forwarding).
   */
  async waitPeersKnown(ms = 15000) {
    const tagOf = (r) => [...r.logSince(r.startMark ?? 0).matchAll(/engine\.io: session tag (\S+)/g)].pop()?.[1];
    const running = () => this.replicas.filter((r) => r.running);
    if (!running().some((r) => tagOf(r))) return;
    const missing = () =>
      running().flatMap((r) => {
        const log = r.logSince(r.startMark ?? 0);
        return running()
          .filter((o) => o !== r && !log.includes(`holds sessions tagged ${tagOf(o)}`))
          .map((o) => `${r.name} has not heard ${o.name}'s tag ${tagOf(o)}`);
      });
    await until(() => missing().length === 0, ms, () => `every replica to learn the others' session tags: ${missing().join("; ")}`, { every: 100 });
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
      { every: 200 },
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
 * Per-file fixture: a fresh cluster before the file's tests (`env`: added to every replica's
 * environment), every ChatClient closed and the replicas
 * checked after each test, the replicas stopped (clean exits asserted) after the file.
 */
export function useCluster(label, { env } = {}) {
  const fx = { cluster: null };
  before(async () => {
    fx.cluster = new Cluster(label, env);
    await fx.cluster.start();
  });
  afterEach(async () => {
    closeAllClients();
    await sleep(100);
    fx.cluster?.assertClean();
  });
  after(async () => {
    closeAllClients();
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
      appendLog(e, "replica logs during this test", fx.cluster ? fx.cluster.logSince(marks) : "(no cluster)");
      throw e;
    }
  });
}
