// What session forwarding (issue #14) costs, measured on this machine with the release build:
//
//   1. hop: one polling round trip (POST a message, GET its echo) on a session of replica A, sent
//      to A itself ("local") or to replica B, which forwards both requests to A ("forwarded").
//      CPU of both replicas per round trip, and the round trip's latency. The two cases are
//      interleaved, REPEATS times each.
//   2. fanout: 3 replicas in --bench mode on Redis behind HAProxy, polling-only socket.io-client
//      users in room "general", SENDERS of them sending RATE messages a second in all: with
//      cookie stickiness (no hop) and with plain round robin (most requests forwarded). CPU of
//      the replicas per delivered message, delivery latency, and messages lost.
//
//   node bench/forwarding.mjs [hop|fanout|all]      (Redis: bash scripts/services.sh start redis)
//   CHATD, REPEATS (3), HOP_SESSIONS (20), HOP_SECONDS (8), FAN_USERS (60), FAN_SENDERS (6),
//   FAN_RATE (60), FAN_SECONDS (10), TEST_REDIS_URL
// Results: one JSON line per run in build/bench/results/forwarding.jsonl, and a summary.
import { spawn } from "node:child_process";
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../tests/lib/net.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(path.join(root, "tests/package.json"));
const { io } = require("socket.io-client");
const CHATD = process.env.CHATD || path.join(root, "build/release/chatd");
const REPEATS = Number(process.env.REPEATS || 3);
const redis = new URL(process.env.TEST_REDIS_URL || "redis://127.0.0.1:56379");
const resultsDir = path.join(root, "build/bench/results");
mkdirSync(resultsDir, { recursive: true });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const TICK = 100; // clock ticks per second (_SC_CLK_TCK on Linux)

function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICK;  // utime + stime
}

async function replica(name, mode, extra = {}) {
  const port = await freePort();
  const args = [mode, "--host", "127.0.0.1", "--port", String(port), "--log-level", "info"];
  const proc = spawn(CHATD, args, {
    env: { ...process.env, SCALABLE: "true", REDIS_HOST: redis.hostname, REDIS_PORT: redis.port, REPLICA_NAME: name,
           CHAT_CLUSTER_HEARTBEAT_MS: "500", ...extra },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  proc.stdout.on("data", (d) => (out += d));
  proc.stderr.on("data", (d) => (out += d));
  const r = { name, port, proc, url: `http://127.0.0.1:${port}`, log: () => out };
  for (let i = 0; i < 200 && !/session tag (\S+)/.test(out); i++) await sleep(50);
  r.tag = /session tag (\S+)/.exec(out)?.[1];
  if (!r.tag) throw new Error(`${name} did not start:\n${out}`);
  return r;
}

async function peersKnown(replicas) {
  for (let i = 0; i < 100; i++) {
    if (replicas.every((r) => replicas.filter((o) => o !== r).every((o) => r.log().includes(`holds sessions tagged ${o.tag}`))))
      return;
    await sleep(100);
  }
  throw new Error("replicas did not hear each other");
}

async function stopAll(procs) {
  for (const p of procs) p.kill("SIGTERM");
  await Promise.all(procs.map((p) => new Promise((r) => (p.exitCode !== null ? r() : p.once("exit", r)))));
}

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : NaN;
};
const median = (xs) => quantile(xs, 0.5);

// ---- 1. hop ----------------------------------------------------------------------------------

async function hopRun(a, b, forwarded, sessions, seconds) {
  const target = forwarded ? b : a;
  const sids = [];
  for (let i = 0; i < sessions; i++) {
    const body = await (await fetch(`${a.url}/engine.io/?EIO=4&transport=polling`)).text();
    sids.push(JSON.parse(body.slice(1)).sid);
  }
  const latencies = [];
  const cpu0 = cpuSeconds(a.proc.pid) + cpuSeconds(b.proc.pid);
  const end = Date.now() + seconds * 1000;
  await Promise.all(sids.map(async (sid) => {
    const url = `${target.url}/engine.io/?EIO=4&transport=polling&sid=${sid}`;
    while (Date.now() < end) {
      const t0 = performance.now();
      const posted = await fetch(url, { method: "POST", body: "4hop" });
      await posted.text();
      const got = await (await fetch(url)).text();
      latencies.push(performance.now() - t0);
      if (got.includes("2")) await (await fetch(url, { method: "POST", body: "3" })).text();
    }
  }));
  const cpu = cpuSeconds(a.proc.pid) + cpuSeconds(b.proc.pid) - cpu0;
  for (const sid of sids) await fetch(`${a.url}/engine.io/?EIO=4&transport=polling&sid=${sid}`, { method: "POST", body: "1" });
  return { forwarded, roundTrips: latencies.length, cpuUsPerRoundTrip: (cpu / latencies.length) * 1e6,
           p50ms: median(latencies), p99ms: quantile(latencies, 0.99) };
}

async function hop() {
  const sessions = Number(process.env.HOP_SESSIONS || 20), seconds = Number(process.env.HOP_SECONDS || 8);
  const a = await replica("hop-a", "--conformance", { CHAT_PING_INTERVAL_MS: "60000" });
  const b = await replica("hop-b", "--conformance", { CHAT_PING_INTERVAL_MS: "60000" });
  const runs = [];
  try {
    await peersKnown([a, b]);
    for (let i = 0; i < REPEATS; i++) {
      for (const forwarded of [false, true]) {
        const r = { bench: "hop", sessions, seconds, ...(await hopRun(a, b, forwarded, sessions, seconds)) };
        appendFileSync(path.join(resultsDir, "forwarding.jsonl"), JSON.stringify({ at: new Date().toISOString(), ...r }) + "\n");
        console.log(JSON.stringify(r));
        runs.push(r);
      }
    }
  } finally {
    await stopAll([a.proc, b.proc]);
  }
  const pick = (f, k) => median(runs.filter((r) => r.forwarded === f).map((r) => r[k]));
  console.log(`hop (median of ${REPEATS}): local ${pick(false, "cpuUsPerRoundTrip").toFixed(0)} µs CPU/round trip, ` +
              `p50 ${pick(false, "p50ms").toFixed(2)} ms, p99 ${pick(false, "p99ms").toFixed(2)} ms; forwarded ` +
              `${pick(true, "cpuUsPerRoundTrip").toFixed(0)} µs, p50 ${pick(true, "p50ms").toFixed(2)} ms, ` +
              `p99 ${pick(true, "p99ms").toFixed(2)} ms; CPU ratio ${(pick(true, "cpuUsPerRoundTrip") / pick(false, "cpuUsPerRoundTrip")).toFixed(2)}`);
}

// ---- 2. fanout -------------------------------------------------------------------------------

async function haproxy(replicas, sticky) {
  const port = await freePort();
  const cfg = path.join(os.tmpdir(), `bench-haproxy-${process.pid}-${sticky ? "sticky" : "rr"}.cfg`);
  writeFileSync(cfg, [
    "global", "  maxconn 4000",
    "defaults", "  mode http", "  timeout connect 5s", "  timeout client 90s", "  timeout server 90s",
    "  timeout tunnel 1h",
    "frontend fe", `  bind 127.0.0.1:${port}`, "  default_backend be",
    "backend be", "  balance roundrobin", ...(sticky ? ["  cookie SERVERID insert indirect nocache"] : []),
    ...replicas.map((r) => `  server ${r.name} 127.0.0.1:${r.port}${sticky ? ` cookie ${r.name}` : ""}`),
  ].join("\n") + "\n");
  const proc = spawn("haproxy", ["-db", "-f", cfg], { stdio: ["ignore", "ignore", "inherit"] });
  await sleep(500);
  return { proc, url: `http://127.0.0.1:${port}` };
}

async function fanRun(sticky) {
  const users = Number(process.env.FAN_USERS || 60), senders = Number(process.env.FAN_SENDERS || 6);
  const rate = Number(process.env.FAN_RATE || 60), seconds = Number(process.env.FAN_SECONDS || 10);
  const replicas = [];
  for (let i = 1; i <= 3; i++) replicas.push(await replica(`fan${i}`, "--bench"));
  const lb = await haproxy(replicas, sticky);
  const sockets = [];
  try {
    await peersKnown(replicas);
    const latencies = [];
    let received = 0;
    for (let i = 0; i < users; i++) {
      const s = io(lb.url, { transports: ["polling"], forceNew: true, withCredentials: true, reconnection: false });
      s.on("chat message", (m) => {
        received++;
        latencies.push(Date.now() - Number(m.ts));
      });
      sockets.push(s);
    }
    await Promise.all(sockets.map((s) => new Promise((resolve, reject) => {
      s.once("connect", resolve);
      s.once("connect_error", reject);
    })));
    await sleep(1000);
    received = 0;
    latencies.length = 0;
    const cpu0 = replicas.reduce((t, r) => t + cpuSeconds(r.proc.pid), 0);
    const interval = (1000 * senders) / rate;
    let sent = 0;
    const end = Date.now() + seconds * 1000;
    await Promise.all(sockets.slice(0, senders).map(async (s) => {
      while (Date.now() < end) {
        s.emit("chat message", { room: "general", text: `m${sent++}`, ts: Date.now() });
        await sleep(interval);
      }
    }));
    await sleep(3000);  // the last deliveries
    const cpu = replicas.reduce((t, r) => t + cpuSeconds(r.proc.pid), 0) - cpu0;
    const expected = sent * users;
    let forwards = 0;
    for (const r of replicas) {
      const text = await (await fetch(`${r.url}/metrics`)).text();
      forwards += Number(/^chatd_forwards_total (\d+)/m.exec(text)?.[1] ?? NaN);
    }
    return { bench: "fanout", sticky, users, senders, rate, seconds, sent, expected, received,
             lost: expected - received, cpuUsPerDelivery: (cpu / received) * 1e6,
             p50ms: median(latencies), p99ms: quantile(latencies, 0.99), forwards };
  } finally {
    for (const s of sockets) s.close();
    await stopAll([lb.proc, ...replicas.map((r) => r.proc)]);
  }
}

async function fanout() {
  const runs = [];
  for (let i = 0; i < REPEATS; i++) {
    for (const sticky of [true, false]) {
      const r = await fanRun(sticky);
      appendFileSync(path.join(resultsDir, "forwarding.jsonl"), JSON.stringify({ at: new Date().toISOString(), ...r }) + "\n");
      console.log(JSON.stringify(r));
      runs.push(r);
    }
  }
  const pick = (s, k) => median(runs.filter((r) => r.sticky === s).map((r) => r[k]));
  console.log(`fanout (median of ${REPEATS}): sticky ${pick(true, "cpuUsPerDelivery").toFixed(1)} µs CPU/delivery, ` +
              `p50 ${pick(true, "p50ms")} ms, p99 ${pick(true, "p99ms")} ms, lost ${pick(true, "lost")}; round robin ` +
              `${pick(false, "cpuUsPerDelivery").toFixed(1)} µs, p50 ${pick(false, "p50ms")} ms, p99 ${pick(false, "p99ms")} ms, ` +
              `lost ${pick(false, "lost")}; CPU ratio ${(pick(false, "cpuUsPerDelivery") / pick(true, "cpuUsPerDelivery")).toFixed(2)}`);
}

const which = process.argv[2] || "all";
if (which === "hop" || which === "all") await hop();
if (which === "fanout" || which === "all") await fanout();
process.exit(0);
