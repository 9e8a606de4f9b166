// Overload run (issue #9): signed-in senders post to their group's room with acks, open loop at a
// fixed total rate; every room also has one reader that keeps up and some that never read.
// Reports what chatd did with the load: stored messages/s, ack outcomes (ok, rate_limited,
// overloaded, no answer), ack latency, deliveries, readers dropped as slow and whether they
// caught up with `sync`, and the server's CPU and peak RSS. A benchmark, not a test: bench/run.sh
// overload runs it at 1x, 2x and 5x of what one core sustains and BENCHMARKS.md reports it.
//
//   node bench/overload.mjs --url http://127.0.0.1:8888 --pid <chatd pid> --rate 2000 --seconds 10
//        [--groups 10] [--senders 4] [--stalled 2] [--text 100 (bytes a message)] [--label 2x]
//        [--general 1: one group, everyone in room 1 "general", as ../shared/bench/peers/node-chat
//         supports]
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
// The tests' npm packages (ws), installed by scripts/setup.sh.
const require = createRequire(path.join(here, "../tests/package.json"));
const WebSocket = require("ws");

function args() {
  const out = { groups: 10, senders: 4, stalled: 2, seconds: 10, rate: 1000, label: "", text: 100, general: 0 };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) out[argv[i].replace(/^--/, "")] = argv[i + 1];
  for (const k of ["groups", "senders", "stalled", "seconds", "rate", "pid", "text", "general"]) if (out[k] !== undefined) out[k] = Number(out[k]);
  return out;
}

const opt = args();
const base = new URL(opt.url);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function procStat(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]);
  return { cpu: (Number(f[11]) + Number(f[12])) / 100, rssKiB: rss };
}

async function signIn(name) {
  const res = await fetch(new URL("/api/session", base), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name, password: `pw-${name}-overload` }),
  });
  if (res.status !== 200 && res.status !== 201) throw new Error(`sign-in ${name}: ${res.status} ${await res.text()}`);
  return /chat_session=[^;]*/.exec(res.headers.get("set-cookie"))[0];
}

/** A raw Socket.IO client: acks by id, `message` frames counted per room by their seq. */
class Client {
  constructor(cookie, room) {
    this.room = room;
    this.pending = new Map(); // ack id -> {sent, resolve}
    this.next = 1;
    this.seqs = new Set();
    this.closed = false;
    this.ws = new WebSocket(`ws://${base.host}/socket.io/?EIO=4&transport=websocket`, {
      headers: { cookie },
      perMessageDeflate: false,
      skipUTF8Validation: true,
    });
    this.ws.on("error", () => {});
    this.ws.on("close", () => {
      this.closed = true;
      for (const p of this.pending.values()) p.resolve(null);
      this.pending.clear();
    });
    this.ready = new Promise((resolve, reject) => {
      this.ws.on("message", (data) => {
        // Dispatch on the first bytes, without decoding what is not needed: the load generator
        // must stay cheaper than the server it loads.
        if (data.length === 1 && data[0] === 0x32) return this.ws.send("3"); // "2": ping
        if (data[0] !== 0x34) return;
        if (data[1] === 0x33) {
          const t = data.toString();
          const m = /^43(\d+)/.exec(t);
          const p = this.pending.get(Number(m[1]));
          if (p) {
            this.pending.delete(Number(m[1]));
            p.resolve(JSON.parse(t.slice(2 + m[1].length))[0]);
          }
          return;
        }
        if (data[1] !== 0x32) return;
        if (!this.isReady && data.toString("latin1", 0, 10) === '42["ready"') {
          this.isReady = true;
          return resolve();
        }
        if (this.counting) {
          // '42["message",{"id":N,"roomId":R,"seq":S': the seq is all a reader keeps.
          const t = data.toString("latin1", 0, 80);
          const m = /"roomId":(\d+),"seq":(\d+)/.exec(t);
          if (m && Number(m[1]) === this.room) this.seqs.add(Number(m[2]));
        }
      });
      this.ws.once("open", () => this.ws.send("40"));
      this.ws.once("close", () => reject(new Error("closed before ready")));
    });
  }

  ack(event, payload, timeoutMs = 10000) {
    return new Promise((resolve) => {
      if (this.closed) return resolve(null);
      const id = this.next++;
      const timer = setTimeout(() => {
        if (this.pending.delete(id)) resolve(null);
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
      });
      this.ws.send(`42${id}${JSON.stringify([event, payload])}`);
    });
  }
}

function percentile(sorted, p) {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Signs in every group's senders, reader and stalled clients (cookies only, no sockets yet). */
async function signInGroups(run) {
  const groups = [];
  for (let g = 0; g < opt.groups; g++) {
    const senders = [];
    for (let k = 0; k < opt.senders; k++) senders.push(await signIn(`${run}-s${g}-${k}`));
    const reader = await signIn(`${run}-r${g}`);
    const stalled = [];
    for (let k = 0; k < opt.stalled; k++) stalled.push(await signIn(`${run}-z${g}-${k}`));
    groups.push({ senders, reader, stalled });
  }
  return groups;
}

/** Connects a group's clients to `room`; the reader counts deliveries. */
function connectGroup(grp, room, first = null) {
  grp.room = room;
  grp.senderClients = first ? [first] : [];
  for (const cookie of grp.senders.slice(first ? 1 : 0)) grp.senderClients.push(new Client(cookie, room));
  grp.readerClient = new Client(grp.reader, room);
  grp.readerClient.counting = true;
  grp.stalledClients = grp.stalled.map((c) => new Client(c, room));
  return [...grp.senderClients.slice(first ? 1 : 0), grp.readerClient, ...grp.stalledClients];
}

/**
 * Rooms: the first sender creates its group's room, everyone else joins it. With --general,
 * everyone stays in "general" (room 1): the subset of the protocol the Node chat peer speaks.
 * Stalled clients stop reading once joined. Returns every client.
 */
async function joinRooms(run, groups) {
  const all = [];
  if (opt.general) {
    if (groups.length !== 1) throw new Error("--general takes one group");
    const members = connectGroup(groups[0], 1);
    await Promise.all(members.map((c) => c.ready));
    for (const c of groups[0].stalledClients) c.ws._socket.pause();
    all.push(...members);
    return all;
  }
  for (const [g, grp] of groups.entries()) {
    const first = new Client(grp.senders[0], 0);
    await first.ready;
    const joined = await first.ack("room:join", { name: `${run}-room-${g}` });
    if (!joined?.ok) throw new Error(`room:join: ${JSON.stringify(joined)}`);
    const room = joined.room.id;
    first.room = room;
    const members = connectGroup(grp, room, first);
    await Promise.all(members.map((c) => c.ready));
    for (const c of members) {
      const r = await c.ack("room:join", { roomId: room });
      if (!r?.ok) throw new Error(`join: ${JSON.stringify(r)}`);
    }
    for (const c of grp.stalledClients) c.ws._socket.pause();
    all.push(first, ...members);
  }
  return all;
}

/**
 * The open loop: whatever the server does, the senders keep the schedule (messages that could
 * not be sent because the connection is gone count as no answer). Returns the counts, ack
 * latencies, acknowledged seqs per room and the server's CPU and peak RSS over the run.
 */
async function sendLoad(run, groups) {
  const senders = groups.flatMap((g) => g.senderClients.map((c, k) => ({ c, g, cookie: g.senders[k] })));
  // A sender dropped as slow (it is a room member: it receives what it sends) reconnects, as a
  // real client does; its sends meanwhile count as `sender_away`.
  let sendersDropped = 0;
  const reconnect = (entry) => {
    if (entry.reconnecting) return;
    entry.reconnecting = true;
    sendersDropped++;
    const fresh = new Client(entry.cookie, entry.g.room);
    fresh.ready.then(
      () => {
        entry.c = fresh;
        entry.reconnecting = false;
      },
      () => (entry.reconnecting = false),
    );
  };
  const outcome = { ok: 0, rate_limited: 0, overloaded: 0, other: 0, no_answer: 0, sender_away: 0 };
  const latencies = [];
  const acked = new Map(); // room -> Set of seqs acknowledged
  for (const g of groups) acked.set(g.room, new Set());
  const inflight = [];
  const filler = "x".repeat(Math.max(0, opt.text - 12));
  const start0 = procStat(opt.pid);
  let peakRss = start0.rssKiB;
  const t0 = Date.now();
  let sent = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, procStat(opt.pid).rssKiB)), 250);
  const send = (entry) => {
    const { c, g } = entry;
    const at = performance.now();
    inflight.push(
      c.ack("message:send", { roomId: g.room, text: `load ${sent} ${filler}`, clientId: `${run}-${sent}` }).then((a) => {
        if (!a) return outcome.no_answer++;
        if (a.ok) {
          outcome.ok++;
          latencies.push(performance.now() - at);
          acked.get(g.room).add(a.message.seq);
        } else if (a.error in outcome) outcome[a.error]++;
        else outcome.other++;
      }),
    );
  };
  while (Date.now() - t0 < opt.seconds * 1000) {
    const due = Math.floor(((Date.now() - t0) / 1000) * opt.rate);
    // Each client's sends of this tick go out in one write (cork/uncork), like a busy client's.
    const corked = new Set();
    for (; sent < due; sent++) {
      const entry = senders[sent % senders.length];
      if (entry.c.closed) {
        reconnect(entry);
        outcome.sender_away++;
        continue;
      }
      if (!corked.has(entry.c) && entry.c.ws._socket) {
        entry.c.ws._socket.cork();
        corked.add(entry.c);
      }
      send(entry);
    }
    for (const c of corked) c.ws._socket?.uncork();
    await sleep(2);
  }
  const elapsed = (Date.now() - t0) / 1000;
  const endCpu = procStat(opt.pid);
  await Promise.all(inflight);
  clearInterval(sampler);
  return { senders: senders.length, sendersDropped, outcome, latencies, acked, sent, elapsed, cpuS: endCpu.cpu - start0.cpu, peakRss };
}

/**
 * Everything acknowledged in `room` that a client does not hold after `sync` (from the newest
 * seq held without a gap, as the web UI does; reconnecting first if it was dropped).
 */
async function missingAfterCatchUp(client, cookie, room, acked) {
  let c = client;
  if (c.closed) {
    c = new Client(cookie, room);
    await c.ready;
  }
  const have = new Set(client.seqs);
  let after = 0;
  while (have.has(after + 1)) after++;
  const deadline = Date.now() + 120000;
  while (Date.now() < deadline) {
    const r = await c.ack("sync", { rooms: { [room]: after } }, 30000);
    if (!r?.ok) {
      await sleep(r?.retryAfterMs ?? 500);
      continue;
    }
    const list = r.messages[room] ?? [];
    for (const m of list) have.add(m.seq);
    if (!list.length || (!r.more?.[room] && list.length < 500)) break;
    after = list.at(-1).seq;
  }
  let missing = 0;
  for (const seq of acked.get(room)) if (!have.has(seq)) missing++;
  if (c !== client) c.ws.terminate();
  return missing;
}

/**
 * Readers and stalled clients: how much the readers got live, who was dropped as slow, and
 * whether `sync` (after reconnecting, for those dropped) gives every one of them everything.
 */
async function checkReceivers(groups, acked) {
  for (const g of groups) for (const z of g.stalledClients) z.ws._socket?.resume();
  await sleep(1500);
  const r = { liveDeliveries: 0, readersDropped: 0, stalledDropped: 0, missingAfterSync: 0 };
  for (const g of groups) {
    r.liveDeliveries += g.readerClient.seqs.size;
    if (g.readerClient.closed) r.readersDropped++;
    r.missingAfterSync += await missingAfterCatchUp(g.readerClient, g.reader, g.room, acked);
    for (const [i, z] of g.stalledClients.entries()) {
      if (!z.closed) continue; // never dropped: its backlog fitted the kernel's buffers and its outbox
      r.stalledDropped++;
      r.missingAfterSync += await missingAfterCatchUp(z, g.stalled[i], g.room, acked);
    }
  }
  return r;
}

async function main() {
  const run = `${opt.label || "run"}${Date.now().toString(36)}`;
  const groups = await signInGroups(run);
  const all = await joinRooms(run, groups);
  const load = await sendLoad(run, groups);
  await sleep(1000);
  const received = await checkReceivers(groups, load.acked);

  const { outcome, latencies, elapsed } = load;
  latencies.sort((a, b) => a - b);
  const result = {
    label: opt.label,
    rate: opt.rate,
    seconds: Number(elapsed.toFixed(1)),
    senders: load.senders,
    rooms: groups.length,
    sent: load.sent,
    ...outcome,
    stored_per_s: Math.round(outcome.ok / elapsed),
    ack_p50_ms: Math.round(percentile(latencies, 50) ?? -1),
    ack_p99_ms: Math.round(percentile(latencies, 99) ?? -1),
    reader_live_deliveries: received.liveDeliveries,
    readers_dropped: received.readersDropped,
    senders_dropped: load.sendersDropped,
    stalled_dropped: `${received.stalledDropped}/${groups.length * opt.stalled}`,
    missing_after_sync: received.missingAfterSync,
    server_cpu_s: Number(load.cpuS.toFixed(2)),
    server_cpu_per_stored_ms: outcome.ok ? Number(((load.cpuS * 1000) / outcome.ok).toFixed(3)) : null,
    peak_rss_mib: Math.round(load.peakRss / 1024),
  };
  console.log(JSON.stringify(result));
  for (const c of all) c.ws.terminate();
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
