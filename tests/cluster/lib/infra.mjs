// The cluster tests' infrastructure, set up once per broker run by tests/cluster/run.mjs:
//  - a Linux bridge with the host address (10.77.0.1/24) and three network namespaces, one per
//    chatd replica, each with its own address (10.77.0.11-13) on a veth pair;
//  - PostgreSQL and the run's broker (scripts/services.sh, bound to the bridge address, on 59xxx
//    ports under build/cluster-services/<broker>);
//  - HAProxy in front of the three replica addresses, from deploy/haproxy/haproxy-roundrobin.cfg
//    (CLUSTER_LB=roundrobin, the default: no affinity at all) or deploy/haproxy/haproxy.cfg
//    (CLUSTER_LB=sticky: cookie stickiness).
//
// Every name carries the runner's pid (dcbr<pid>, dcns<pid>-N, dcv<pid>hN), so leftovers of a
// crashed run are recognised (their pid is gone) and removed at the next start. Every external
// command runs with a timeout.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../../lib/net.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, "../../..");
export const SERVICES_SH = path.join(ROOT, "scripts/services.sh");
/** The load-balancer modes (CLUSTER_LB) and the HAProxy configuration each one runs. */
export const LB_MODES = ["roundrobin", "sticky"];
export const HAPROXY_TEMPLATES = {
  roundrobin: path.join(ROOT, "deploy/haproxy/haproxy-roundrobin.cfg"),
  sticky: path.join(ROOT, "deploy/haproxy/haproxy.cfg"),
};

export const BROKERS = ["redis", "nats", "amqp", "postgres"];

/** The services.sh name of a broker (amqp is RabbitMQ; the postgres broker is the database itself). */
export function brokerService(broker) {
  return { redis: "redis", nats: "nats", amqp: "rabbitmq", postgres: "postgres" }[broker];
}

/** Ports of the cluster's private services: 59xxx, apart from the shared (55xxx/56xxx/54xxx/58xxx) and 57xxx ones. */
export const SERVICE_PORTS = {
  PG_PORT: 59432,
  REDIS_PORT: 59379,
  NATS_PORT: 59422,
  NATS_MONITOR_PORT: 59822,
  AMQP_PORT: 59672,
  RABBIT_DIST_PORT: 59673,
  RABBIT_EPMD_PORT: 59674,
};

/**
 * Runs a command; resolves {code, stdout, stderr}. Rejects on timeout (killing it) and, unless
 * `allowFail`, on a non-zero exit, with the command and its output in the message.
 */
export function run(cmd, args, { env, cwd = ROOT, timeoutMs = 30000, allowFail = false, input } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: env ?? process.env, stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const what = `${cmd} ${args.join(" ")}`;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`timed out after ${timeoutMs} ms: ${what}\n${stdout}${stderr}`));
    }, timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(new Error(`${what}: ${e.message}`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code !== 0 && !allowFail)
        reject(new Error(`${what} failed (code ${code}, signal ${signal}):\n${stdout}${stderr}`.trimEnd()));
      else resolve({ code, stdout, stderr });
    });
    if (input !== undefined) {
      child.stdin.on("error", () => {}); // the command may exit without reading it
      child.stdin.end(input);
    }
  });
}

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === "EPERM";
  }
}

// ---------------------------------------------------------------------------------------------
// Network: bridge + three namespaces

export const SUBNET = process.env.CLUSTER_SUBNET || "10.77.0";
export const HOST_ADDR = `${SUBNET}.1`;
export const REPLICA_ADDRS = [11, 12, 13].map((n) => `${SUBNET}.${n}`);

export function networkNames(id) {
  return {
    bridge: `dcbr${id}`,
    namespaces: [1, 2, 3].map((i) => `dcns${id}-${i}`),
    vethHost: [1, 2, 3].map((i) => `dcv${id}h${i}`),
    vethNs: [1, 2, 3].map((i) => `dcv${id}n${i}`),
  };
}

async function listLinks() {
  const { stdout } = await run("ip", ["-o", "link", "show"]);
  return stdout
    .split("\n")
    .map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1])
    .filter(Boolean);
}

async function listNamespaces() {
  const { stdout } = await run("ip", ["netns", "list"]);
  return stdout
    .split("\n")
    .map((l) => l.trim().split(/\s+/)[0])
    .filter(Boolean);
}

/** Kills what still runs in a namespace of ours (replicas of a crashed run), then deletes it. */
async function deleteNamespace(ns) {
  const { stdout } = await run("ip", ["netns", "pids", ns], { allowFail: true });
  for (const pid of stdout.split(/\s+/).filter(Boolean).map(Number)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone already
    }
  }
  await run("ip", ["netns", "del", ns], { allowFail: true });
}

/** Removes bridges, veths and namespaces of earlier runs whose runner process is gone. */
export async function removeStaleNetworks() {
  const removed = [];
  for (const ns of await listNamespaces()) {
    const m = /^dcns(\d+)-\d+$/.exec(ns);
    if (m && !pidAlive(Number(m[1]))) {
      await deleteNamespace(ns);
      removed.push(ns);
    }
  }
  for (const link of await listLinks()) {
    const m = /^dc(?:br|v)(\d+)/.exec(link);
    if (m && !pidAlive(Number(m[1]))) {
      await run("ip", ["link", "del", link], { allowFail: true });
      removed.push(link);
    }
  }
  return removed;
}

/** Fails with the reason when the host address is already on some interface (another run). */
async function assertAddressFree() {
  const { stdout } = await run("ip", ["-o", "-4", "addr", "show"]);
  const line = stdout.split("\n").find((l) => l.includes(` ${HOST_ADDR}/`));
  if (line)
    throw new Error(
      `the cluster tests' host address ${HOST_ADDR} is already in use (${line.trim()}); ` +
        `another cluster run is active, or set CLUSTER_SUBNET to another /24 prefix (e.g. 10.78.0)`,
    );
}

/** Creates the bridge and the three namespaces; returns their names. Throws with the reason. */
export async function createNetwork(id) {
  if (process.getuid?.() !== 0) throw new Error("the cluster tests need root (network namespaces, veth pairs, a bridge)");
  const names = networkNames(id);
  await assertAddressFree();
  const ip = (...args) => run("ip", args);
  try {
    await ip("link", "add", names.bridge, "type", "bridge", "forward_delay", "0");
    await ip("addr", "add", `${HOST_ADDR}/24`, "dev", names.bridge);
    await ip("link", "set", names.bridge, "up");
    for (let i = 0; i < 3; i++) {
      const ns = names.namespaces[i];
      await ip("netns", "add", ns);
      await ip("link", "add", names.vethHost[i], "type", "veth", "peer", "name", names.vethNs[i]);
      await ip("link", "set", names.vethNs[i], "netns", ns);
      await ip("link", "set", names.vethHost[i], "master", names.bridge);
      await ip("link", "set", names.vethHost[i], "up");
      await ip("-n", ns, "link", "set", names.vethNs[i], "name", "eth0");
      await ip("-n", ns, "addr", "add", `${REPLICA_ADDRS[i]}/24`, "dev", "eth0");
      await ip("-n", ns, "link", "set", "eth0", "up");
      await ip("-n", ns, "link", "set", "lo", "up");
      await ip("-n", ns, "route", "add", "default", "via", HOST_ADDR);
    }
  } catch (e) {
    await deleteNetwork(id);
    throw new Error(`could not create the cluster network (bridge ${names.bridge}, namespaces ${names.namespaces.join(", ")}): ${e.message}`);
  }
  return names;
}

export async function deleteNetwork(id) {
  const names = networkNames(id);
  const existing = new Set(await listNamespaces());
  for (const ns of names.namespaces) if (existing.has(ns)) await deleteNamespace(ns);
  const links = new Set(await listLinks());
  for (const link of [...names.vethHost, names.bridge]) if (links.has(link)) await run("ip", ["link", "del", link], { allowFail: true });
}

// ---------------------------------------------------------------------------------------------
// Services (scripts/services.sh on the bridge address)

export function servicesDir(broker) {
  return path.join(ROOT, "build/cluster-services", broker);
}

export function servicesEnv(broker) {
  const env = { ...process.env, SERVICES_BIND: HOST_ADDR, SERVICES_DIR: servicesDir(broker) };
  for (const [k, v] of Object.entries(SERVICE_PORTS)) env[k] = String(v);
  return env;
}

/** The services a broker run needs: PostgreSQL and the broker (once when it is PostgreSQL). */
export function runServices(broker) {
  return [...new Set(["postgres", brokerService(broker)])];
}

/** scripts/services.sh ACTION NAMES... for this broker's private instances. */
export async function services(broker, action, names, { timeoutMs = 120000 } = {}) {
  return await run("bash", [SERVICES_SH, action, ...names], { env: servicesEnv(broker), timeoutMs });
}

/** Kills the process in `pidFile` if it is still `comm` (a leftover of a crashed run of ours). */
export function killStale(pidFile, comm) {
  if (!existsSync(pidFile)) return false;
  const pid = Number(readFileSync(pidFile, "utf8").trim());
  if (!pid || !pidAlive(pid)) return false;
  let name = "";
  try {
    name = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return false;
  }
  if (name !== comm) return false;
  process.kill(pid, "SIGKILL");
  return true;
}

/**
 * Stops whatever a crashed earlier run left in this broker's services dir. services.sh stops by
 * pid file / rabbitmqctl; Redis and NATS pid files are checked afterwards and their process
 * killed when it is still the same program.
 */
export async function stopStaleServices(broker) {
  await services(broker, "stop", ["postgres", "redis", "nats", "rabbitmq"], { timeoutMs: 90000 }).catch(() => {});
  const dir = servicesDir(broker);
  killStale(path.join(dir, "redis/redis.pid"), "redis-server");
  killStale(path.join(dir, "nats/nats.pid"), "nats-server");
}

/** psql against the cluster's PostgreSQL. */
export async function psql(sql, { db = "postgres", timeoutMs = 20000 } = {}) {
  return await run(
    "psql",
    ["-v", "ON_ERROR_STOP=1", "-X", "-q", "-h", HOST_ADDR, "-p", String(SERVICE_PORTS.PG_PORT), "-U", "postgres", "-d", db, "-c", sql],
    { timeoutMs },
  );
}

// ---------------------------------------------------------------------------------------------
// HAProxy

/**
 * The HAProxy configuration of load-balancer mode `mode` (deploy/haproxy/haproxy-roundrobin.cfg or
 * haproxy.cfg) with its ${...} placeholders replaced (HAProxy would expand them from the
 * environment itself; the tests write the rendered file so it can be read after a failure).
 */
export function renderHaproxyConfig(values, mode = "roundrobin") {
  const template = HAPROXY_TEMPLATES[mode];
  if (!template) throw new Error(`unknown load-balancer mode ${mode} (CLUSTER_LB: ${LB_MODES.join(" or ")})`);
  let text = readFileSync(template, "utf8");
  text = text.replace(/"\$\{([A-Z0-9_]+)\}"/g, (whole, name) => {
    if (!(name in values)) throw new Error(`${path.relative(ROOT, template)}: no value for placeholder ${name}`);
    return values[name];
  });
  // What each mode promises, checked on what is about to run: round robin has no cookie at all.
  const directives = text.split("\n").map((l) => l.replace(/#.*/, "").trim()).filter(Boolean);
  if (mode === "roundrobin" && directives.some((l) => /^(cookie|stick|option persist)\b|\bcookie \w+$|SERVERID/.test(l)))
    throw new Error(`${path.relative(ROOT, template)}: round-robin mode must not configure any affinity`);
  if (mode === "sticky" && !directives.some((l) => /^cookie SERVERID insert\b/.test(l)))
    throw new Error(`${path.relative(ROOT, template)}: sticky mode needs the SERVERID cookie`);
  return text;
}

export async function startHaproxy(workDir, { replicaPort, mode = "roundrobin" }) {
  mkdirSync(workDir, { recursive: true });
  const port = await freePort();
  const cfg = path.join(workDir, "haproxy.cfg");
  const pidFile = path.join(workDir, "haproxy.pid");
  const statsSocket = path.join(workDir, "haproxy.sock");
  writeFileSync(
    cfg,
    renderHaproxyConfig({
      CHAT_LB_BIND: `127.0.0.1:${port}`,
      CHAT_LB_STATS_SOCKET: statsSocket,
      CHAT_REPLICA_1: `${REPLICA_ADDRS[0]}:${replicaPort}`,
      CHAT_REPLICA_2: `${REPLICA_ADDRS[1]}:${replicaPort}`,
      CHAT_REPLICA_3: `${REPLICA_ADDRS[2]}:${replicaPort}`,
    }, mode),
  );
  await run("haproxy", ["-c", "-q", "-f", cfg], { timeoutMs: 10000 });
  await run("haproxy", ["-D", "-f", cfg, "-p", pidFile], { timeoutMs: 10000 });
  const pid = Number(readFileSync(pidFile, "utf8").trim());
  return { mode, port, cfg, pidFile, statsSocket, pid, url: `http://127.0.0.1:${port}` };
}

export function stopHaproxy(haproxy) {
  if (!haproxy?.pid || !pidAlive(haproxy.pid)) return;
  process.kill(haproxy.pid, "SIGTERM");
}

/** HAProxy's `show stat` as rows of objects (pxname, svname, status, scur, stot, ...). */
export function haproxyStats(statsSocket, ms = 3000) {
  return new Promise((resolve, reject) => {
    const sock = net.createConnection(statsSocket);
    let data = "";
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`timed out after ${ms} ms reading HAProxy stats from ${statsSocket}`));
    }, ms);
    sock.on("connect", () => sock.write("show stat\n"));
    sock.on("data", (d) => (data += d));
    sock.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.on("end", () => {
      clearTimeout(timer);
      const lines = data.split("\n").filter(Boolean);
      const header = lines.shift()?.replace(/^# /, "").split(",") ?? [];
      resolve(
        lines.map((l) => {
          const cols = l.split(",");
          return Object.fromEntries(header.map((h, i) => [h, cols[i]]));
        }),
      );
    });
  });
}
