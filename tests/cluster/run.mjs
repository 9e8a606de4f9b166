#!/usr/bin/env node
// Runs the cluster tests for one broker:
//
//   node tests/cluster/run.mjs redis|nats|amqp|postgres [test files...]
//   CLUSTER_LB=sticky node tests/cluster/run.mjs nats tests/cluster/01-fanout.test.mjs
//
// Sets up the bridge and three network namespaces, PostgreSQL and the broker (scripts/services.sh
// on the bridge address, 59xxx ports, build/cluster-services/<broker>) and HAProxy
// (CLUSTER_LB=roundrobin, the default: deploy/haproxy/haproxy-roundrobin.cfg, no affinity;
// CLUSTER_LB=sticky: deploy/haproxy/haproxy.cfg, cookie stickiness), runs `node --test` on tests/cluster/*.test.mjs (each file starts
// its own three chatd replicas on a fresh database), and tears everything down again: on success,
// on failure, on SIGINT/SIGTERM and on its own deadline (CLUSTER_DEADLINE_S, default 280 s, under
// ctest's 300). Leftovers of a run that was killed outright are removed by the next run.
//
// Environment: CHATD (the binary; ctest passes it), CLUSTER_LB (roundrobin|sticky), CLUSTER_BLOB_STORE (fs|db; by default fs for
// redis and amqp, db for nats and postgres), CLUSTER_SUBNET (default 10.77.0), CLUSTER_KEEP=1
// (keep the logs directory even on success).
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  BROKERS,
  HOST_ADDR,
  LB_MODES,
  REPLICA_ADDRS,
  ROOT,
  createNetwork,
  deleteNetwork,
  networkNames,
  psql,
  removeStaleNetworks,
  runServices,
  services,
  startHaproxy,
  stopHaproxy,
  stopStaleServices,
  killStale,
} from "./lib/infra.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const broker = process.argv[2];
if (!BROKERS.includes(broker)) {
  console.error(`usage: node tests/cluster/run.mjs ${BROKERS.join("|")} [test files...]`);
  process.exit(2);
}
const lbMode = process.env.CLUSTER_LB || "roundrobin";
if (!LB_MODES.includes(lbMode)) {
  console.error(`CLUSTER_LB=${lbMode}: expected ${LB_MODES.join(" or ")}`);
  process.exit(2);
}
const blobStore = process.env.CLUSTER_BLOB_STORE || (broker === "redis" || broker === "amqp" ? "fs" : "db");
const files = process.argv.slice(3).length
  ? process.argv.slice(3).map((f) => path.resolve(f))
  : readdirSync(here)
      .filter((f) => f.endsWith(".test.mjs"))
      .sort()
      .map((f) => path.join(here, f));
const deadlineS = Number(process.env.CLUSTER_DEADLINE_S || 280);
const id = process.pid;
const runName = lbMode === "sticky" ? `${broker}-sticky` : broker;
const workDir = path.join(ROOT, "build/cluster", runName);
const log = (msg) => console.log(`cluster[${runName}]: ${msg}`);

let child = null;
let torn = null;
let haproxy = null;
let started = [];
let networkUp = false;

/** Tears everything down once; every caller waits for that one teardown to finish. */
function teardown() {
  torn ??= teardownOnce();
  return torn;
}

async function teardownOnce() {
  const problems = [];
  const step = async (what, fn) => {
    try {
      await fn();
    } catch (e) {
      problems.push(`${what}: ${e.message}`);
    }
  };
  if (child && child.exitCode === null && child.signalCode === null) {
    await step("stopping the test process", async () => {
      child.kill("SIGTERM");
      await new Promise((resolve) => {
        const t = setTimeout(() => {
          child.kill("SIGKILL");
          resolve();
        }, 5000);
        child.on("exit", () => {
          clearTimeout(t);
          resolve();
        });
      });
    });
  }
  await step("stopping HAProxy", async () => stopHaproxy(haproxy));
  if (started.length) await step("stopping the services", async () => services(broker, "stop", started, { timeoutMs: 90000 }));
  // Also stops replicas a killed test process left behind (they run in our namespaces).
  if (networkUp) await step("deleting the network", async () => deleteNetwork(id));
  return problems;
}

async function fail(message, code = 1) {
  console.error(`cluster[${runName}]: ${message}`);
  const problems = await teardown();
  for (const p of problems) console.error(`cluster[${runName}]: teardown: ${p}`);
  process.exit(code);
}

for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(sig, () => fail(`interrupted by ${sig}; cleaned up`, 130));
process.on("uncaughtException", (e) => fail(`internal error: ${e.stack || e}`));
process.on("unhandledRejection", (e) => fail(`internal error: ${e?.stack || e}`));
const watchdog = setTimeout(() => fail(`the run exceeded its deadline of ${deadlineS} s (CLUSTER_DEADLINE_S); stopped and cleaned up`), deadlineS * 1000);

try {
  // An HAProxy of a run that was killed outright (its pid file is in the old work dir).
  killStale(path.join(workDir, "haproxy.pid"), "haproxy");
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  const stale = await removeStaleNetworks();
  if (stale.length) log(`removed leftovers of crashed runs: ${stale.join(", ")}`);

  await createNetwork(id).catch((e) => fail(`cannot set up the network namespaces: ${e.message}`));
  networkUp = true;
  const names = networkNames(id);

  await stopStaleServices(broker);
  started = runServices(broker);
  const t0 = Date.now();
  await services(broker, "start", started, { timeoutMs: 120000 });
  // A fresh database per test file is created by the files; drop those of earlier runs.
  const { stdout } = await psql("SELECT datname FROM pg_database WHERE datname LIKE 'chat\\_%'");
  for (const db of stdout.split("\n").map((s) => s.trim()).filter((s) => /^chat_\w+$/.test(s)))
    await psql(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);

  const replicaPort = 8888;
  haproxy = await startHaproxy(workDir, { replicaPort, mode: lbMode });
  log(
    `network ${names.bridge} ${HOST_ADDR} + ${names.namespaces.map((n, i) => `${n} ${REPLICA_ADDRS[i]}`).join(", ")}; ` +
      `${started.join(" + ")} up in ${((Date.now() - t0) / 1000).toFixed(1)} s; HAProxy (${lbMode}) on ${haproxy.url}; blob store ${blobStore}; logs in ${workDir}`,
  );

  const stateFile = path.join(workDir, "state.json");
  writeFileSync(
    stateFile,
    JSON.stringify(
      { broker, lb: lbMode, blobStore, network: names, haproxy, workDir, replicaPort, replicaAddrs: REPLICA_ADDRS, hostAddr: HOST_ADDR },
      null,
      2,
    ),
  );

  const code = await new Promise((resolve) => {
    child = spawn(process.execPath, ["--test", "--test-reporter=spec", "--test-concurrency=1", ...files], {
      cwd: path.join(ROOT, "tests"),
      env: { ...process.env, CLUSTER_STATE: stateFile, CLUSTER_RUNNER_PID: String(process.pid) },
      stdio: "inherit",
    });
    child.on("exit", (c, s) => resolve(c ?? (s ? 1 : 0)));
  });
  clearTimeout(watchdog);
  const problems = await teardown();
  if (problems.length) {
    for (const p of problems) console.error(`cluster[${runName}]: teardown: ${p}`);
    process.exit(1);
  }
  if (code !== 0) console.error(`cluster[${runName}]: replica logs are in ${workDir}`);
  process.exit(code);
} catch (e) {
  await fail(e.stack || e.message);
}
