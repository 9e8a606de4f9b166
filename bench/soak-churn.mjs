// The churn half of the soak (issue #12; bench/run.sh soak runs it next to the C++ load
// generator's steady load): users that come and go while the server is busy. Each user, over and
// over: connects (WebSocket, polling or polling + upgrade, in turn), joins one of the soak rooms,
// sends a few messages (same clientId until acked), stays a while, and disconnects; some join and
// leave an extra room on the way; new users sign up during the run. Clients follow their rooms
// as the browser does (tests/lib/chat-client.mjs on web/timeline.js: merge by seq, `sync` after a
// reconnect or a gap).
//
// What it checks at the end: every message acked to anyone is in the room's history exactly once
// with its text, and every user's timeline of each room holds every seq from where it first
// joined up to the room's last (delivered live or brought by `sync`), nothing shown twice. It
// samples the server's RSS every --sample seconds. One JSON line on stdout; exit 1 when a check
// failed.
//
//   node bench/soak-churn.mjs --url http://127.0.0.1:3000 --pid <chatd pid> --seconds 600
//        [--users 24] [--rooms 4] [--sample 10] [--warmup 60 (s before the RSS baseline)]
import { readFileSync } from "node:fs";
import { ChatClient, KINDS, newClientId } from "../tests/lib/chat-client.mjs";
import { account } from "../tests/lib/fixtures.mjs";
import { sleep } from "../tests/lib/wait.mjs";

function options() {
  const out = { url: "", pid: 0, seconds: 600, users: 24, rooms: 4, sample: 10, warmup: 60 };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, "");
    out[key] = key === "url" ? argv[i + 1] : Number(argv[i + 1]);
  }
  if (!out.url) throw new Error("--url is required");
  return out;
}
const opt = options();
const runTag = Date.now().toString(36);
const random = (n) => Math.floor(Math.random() * n);
const kinds = Object.keys(KINDS);

const stats = { connects: 0, connectFailures: 0, acked: 0, sendFailures: 0, extraJoins: 0, extraLeaves: 0, signUps: 0, errors: [] };
const ackedByRoom = new Map(); // roomId -> Map seq -> {clientId, text}
const firstSeqOf = new Map(); // `${user}:${roomId}` -> the seq the user's timeline starts after

function recordAck(message) {
  if (!ackedByRoom.has(message.roomId)) ackedByRoom.set(message.roomId, new Map());
  const room = ackedByRoom.get(message.roomId);
  const before = room.get(message.seq);
  if (before && before.clientId !== message.clientId)
    stats.errors.push(`room ${message.roomId} seq ${message.seq} acked for two messages (${before.clientId}, ${message.clientId})`);
  room.set(message.seq, { clientId: message.clientId, text: message.text });
}

function rss() {
  if (!opt.pid) return null;
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${opt.pid}/status`, "utf8"));
  return m ? Number(m[1]) : null;
}

/** One user's life: sessions until the deadline. Keeps one ChatClient per session. */
async function live(index, deadline) {
  const name = `soak${runTag}u${index}`;
  const { cookie } = await account(opt.url, name);
  stats.signUps++;
  const held = new Map(); // roomId -> the user's timeline seqs across sessions (Set)
  for (let session = 0; Date.now() < deadline; session++) {
    const client = new ChatClient(opt.url, cookie, { kind: kinds[(index + session) % kinds.length], label: name });
    try {
      await client.open(15000);
      stats.connects++;
    } catch (e) {
      stats.connectFailures++;
      client.close();
      await sleep(1000);
      continue;
    }
    const roomName = `soak-${random(opt.rooms)}`;
    const joined = await client.ack("room:join", { name: roomName }, 15000).catch((e) => ({ ok: false, error: e.message }));
    if (!joined?.ok) {
      stats.errors.push(`${name}: room:join ${roomName}: ${JSON.stringify(joined)}`);
      client.close();
      continue;
    }
    const roomId = joined.room.id;
    // The timeline starts where this user's record of the room ends (or at the join's newest).
    const key = `${name}:${roomId}`;
    const have = held.get(roomId) ?? new Set();
    const from = have.size ? Math.max(...have) : (joined.messages.at(-1)?.seq ?? joined.room.lastSeq ?? 0);
    if (!firstSeqOf.has(key)) firstSeqOf.set(key, from);
    client.track(roomId, from);
    client.requestSync();
    await visit(client, roomId);
    if (random(4) === 0) await extraRoom(client, name);
    await client.syncing;
    for (const seq of client.seqs(roomId)) have.add(seq);
    held.set(roomId, have);
    for (const e of client.errors) stats.errors.push(e);
    client.close();
    await sleep(500 + random(3000));
  }
  return { name, held };
}

/** Stays in the room for 3..20 s, sending about one message a second. */
async function visit(client, roomId) {
  const until = Date.now() + 3000 + random(17000);
  while (Date.now() < until && client.connected) {
    const text = `churn ${client.label} ${newClientId("t")}`;
    try {
      recordAck(await client.sendReliably(roomId, text, { ms: 20000 }));
      stats.acked++;
    } catch {
      stats.sendFailures++;
    }
    await sleep(500 + random(1000));
  }
}

/** Joins a throw-away room, says something, leaves. */
async function extraRoom(client, name) {
  const res = await client.ack("room:join", { name: `soak-extra-${random(50)}` }, 15000).catch(() => null);
  if (!res?.ok) return;
  stats.extraJoins++;
  await client.sendOnce(res.room.id, `${name} passing by`, newClientId("x"));
  const left = await client.ack("room:leave", { roomId: res.room.id }, 15000).catch(() => null);
  if (left?.ok) stats.extraLeaves++;
}

/** Every acked message is in the room's history exactly once, with its text. */
async function checkStored(cookie) {
  const reader = new ChatClient(opt.url, cookie, { kind: "websocket", label: "checker" });
  await reader.open(15000);
  let missing = 0;
  let wrong = 0;
  const lastSeq = new Map();
  for (const [roomId, acked] of ackedByRoom) {
    await reader.ack("room:join", { roomId }, 15000);
    const stored = new Map();
    for (let after = 0; ; ) {
      const res = await reader.ack("sync", { rooms: { [roomId]: after } }, 30000);
      const page = res.messages?.[roomId] ?? [];
      for (const m of page) stored.set(m.seq, m);
      if (!page.length) break;
      after = page.at(-1).seq;
    }
    lastSeq.set(roomId, Math.max(0, ...stored.keys()));
    for (const [seq, want] of acked) {
      const got = stored.get(seq);
      if (!got) missing++;
      else if (got.clientId !== want.clientId || got.text !== want.text) wrong++;
    }
  }
  reader.close();
  return { missing, wrong, lastSeq };
}

/** Every user's record of each room is gap-free from where it started up to the room's last seq. */
function checkDelivered(lives, lastSeq) {
  let gaps = 0;
  for (const { name, held } of lives) {
    for (const [roomId, seqs] of held) {
      const from = firstSeqOf.get(`${name}:${roomId}`);
      // A user's last session may end before the room's last messages: it holds up to where
      // its record ends; a reconnect would sync the rest, as every earlier one did.
      const upTo = Math.max(from, ...seqs);
      for (let s = from + 1; s <= upTo; s++) if (!seqs.has(s)) gaps++;
      if (upTo > lastSeq.get(roomId)) stats.errors.push(`${name}: holds seq ${upTo} of room ${roomId} beyond the stored ${lastSeq.get(roomId)}`);
    }
  }
  return gaps;
}

async function main() {
  const started = Date.now();
  const deadline = started + opt.seconds * 1000;
  const samples = [];
  const sampler = setInterval(() => samples.push({ t: Math.round((Date.now() - started) / 1000), rss_kib: rss() }), opt.sample * 1000);
  // Users arrive over the first quarter of the run (sign-ups during load), then churn.
  const lives = [];
  for (let i = 0; i < opt.users; i++) {
    lives.push(live(i, deadline));
    await sleep(Math.min(5000, (opt.seconds * 250) / opt.users));
  }
  const ended = await Promise.all(lives);
  clearInterval(sampler);
  const { cookie } = await account(opt.url, `soak${runTag}checker`);
  const { missing, wrong, lastSeq } = await checkStored(cookie);
  const gaps = checkDelivered(ended, lastSeq);
  const steady = samples.filter((s) => s.t >= opt.warmup && s.rss_kib);
  const base = steady[0]?.rss_kib ?? null;
  const last = steady.at(-1)?.rss_kib ?? null;
  const peak = Math.max(0, ...steady.map((s) => s.rss_kib));
  const result = {
    seconds: opt.seconds, users: opt.users, rooms: opt.rooms, ...stats, errors: stats.errors.length,
    error_samples: stats.errors.slice(0, 5), acked_missing_from_history: missing, acked_altered: wrong,
    delivery_gaps: gaps, rss_kib_after_warmup: base, rss_kib_end: last, rss_kib_peak: peak,
    rss_growth_pct: base ? Math.round(((last - base) / base) * 1000) / 10 : null, rss_samples: samples,
  };
  result.ok = stats.errors.length === 0 && missing === 0 && wrong === 0 && gaps === 0 && stats.acked > 0;
  console.log(JSON.stringify(result));
  process.exit(result.ok ? 0 : 1);
}

main().catch((e) => {
  console.log(JSON.stringify({ ok: false, error: String(e?.stack ?? e) }));
  process.exit(1);
});
