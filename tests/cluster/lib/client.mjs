// A chat client as a real one behaves across replicas (docs/CHAT_PROTOCOL.md), with the official
// socket.io-client:
//  - it tracks lastSeq per room; a `message` with seq == lastSeq+1 is accepted; one already held
//    is a duplicate (a failure only if the same seq arrives twice on the live stream: "shown
//    twice"); one beyond lastSeq+1 is kept and a `sync` fills the gap;
//  - after a reconnect and on the server's `resync` event it calls `sync`;
//  - sync results are merged by seq, idempotently.
// Load-balancer stickiness: socket.io-client in Node keeps cookies only with withCredentials
// (a cookie jar per Engine.IO connection, filled from the polling answers' Set-Cookie): the jar
// captures HAProxy's SERVERID, and the session cookie goes in extraHeaders (the handshake is the
// only request chatd authenticates). `server` pre-sets SERVERID to place a client on one replica,
// as a browser that was there before would be.
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { io } from "socket.io-client";
import { within } from "./cluster.mjs";

const open = new Set();

export const KINDS = {
  polling: { transports: ["polling"] },
  websocket: { transports: ["websocket"] },
  upgrade: { transports: ["polling", "websocket"] },
};

let clientIdCounter = 0;
export function newClientId(label = "c") {
  return `${label}-${process.pid}-${Date.now().toString(36)}-${++clientIdCounter}`;
}

export class TrackingClient {
  /**
   * url: the load balancer or one replica; cookie: "chat_session=..."; kind: polling | websocket |
   * upgrade; server: chat1..3 to pre-set the SERVERID cookie.
   */
  constructor(url, cookie, { kind = "upgrade", server, label = "client", reconnection = true } = {}) {
    this.url = url;
    this.kind = kind;
    this.label = label;
    this.events = [];
    this.rooms = new Map(); // roomId -> {have: Map seq->msg, lastSeq, live: Map seq->count}
    this.errors = [];
    this.connects = 0;
    this.disconnects = [];
    this.syncs = { reconnect: 0, resync: 0, gap: 0, failed: 0, done: 0 };
    this.syncWanted = false;
    this.syncing = null;
    this.closed = false;
    this.readies = [];
    const cookies = [cookie, server ? `SERVERID=${server}` : null].filter(Boolean).join("; ");
    this.socket = io(url, {
      forceNew: true,
      autoConnect: false,
      reconnection,
      reconnectionDelay: 300,
      reconnectionDelayMax: 2000,
      randomizationFactor: 0.3,
      timeout: 8000,
      withCredentials: true,
      extraHeaders: { cookie: cookies },
      ...KINDS[kind],
    });
    this.socket.onAny((event, ...args) => {
      this.events.push({ event, args, at: Date.now() });
    });
    this.socket.on("ready", (r) => {
      this.readies.push(r);
      this.ready = r;
    });
    this.socket.on("message", (m) => this.onLive(m));
    this.socket.on("resync", () => {
      this.syncs.resync++;
      this.requestSync();
    });
    this.socket.on("connect", () => {
      this.connects++;
      if (this.connects > 1) {
        this.syncs.reconnect++;
        this.requestSync();
      }
    });
    this.socket.on("disconnect", (reason) => this.disconnects.push({ reason, at: Date.now() }));
    // Reconnecting: the pre-set SERVERID may name a replica that is gone; from now on the cookie
    // HAProxy sets (kept in the new connection's jar) decides, as in a browser. (The Node
    // WebSocket transport also turns extraHeaders.cookie into an array and appends the jar's
    // cookies to it, in place: reset it to the session cookie alone.)
    this.socket.io.on("reconnect_attempt", () => {
      this.socket.io.opts.extraHeaders.cookie = cookie;
    });
    open.add(this);
  }

  /** Connects and waits for `ready`. */
  async open(ms = 15000) {
    const from = this.readies.length;
    await within(
      new Promise((resolve, reject) => {
        const ok = () => {
          this.socket.off("connect_error", bad);
          resolve();
        };
        const bad = (e) => {
          this.socket.off("connect", ok);
          reject(new Error(`${this.label}: connect_error ${e.message}`));
        };
        this.socket.once("connect", ok);
        this.socket.once("connect_error", bad);
        this.socket.connect();
      }),
      ms,
      `${this.label} (${this.kind}) connecting to ${this.url}`,
    );
    await this.until(() => this.readies.length > from, ms, "ready");
    return this.ready;
  }

  /** The replica HAProxy's cookie names (polling clients: from the jar; else the pre-set one). */
  get serverCookie() {
    const jar = this.socket.io.engine?._cookieJar;
    if (jar) for (const [name, c] of jar.cookies) if (name === "SERVERID") return c.value;
    return /SERVERID=(\w+)/.exec(String(this.socket.io.opts.extraHeaders.cookie))?.[1] ?? null;
  }

  get transport() {
    return this.socket.io.engine?.transport?.name;
  }

  get connected() {
    return this.socket.connected;
  }

  async until(pred, ms, what) {
    const deadline = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error(`${this.label}: timed out after ${ms} ms waiting for ${what}`);
      await sleep(20);
    }
  }

  /** Public room id by name, from the last `ready`. */
  roomId(name) {
    const r = this.ready?.rooms?.find((x) => x.name === name && x.kind === "public");
    assert.ok(r, `${this.label}: no room ${name} in ready: ${JSON.stringify(this.ready)}`);
    return r.id;
  }

  /** Starts tracking a room from seq `from` (messages 1..from are considered held). */
  track(roomId, from = 0) {
    const have = new Map();
    this.rooms.set(roomId, { have, lastSeq: from, base: from, live: new Map() });
  }

  room(roomId) {
    return this.rooms.get(roomId);
  }

  advance(st) {
    while (st.have.has(st.lastSeq + 1)) st.lastSeq++;
  }

  merge(st, m, how) {
    const held = st.have.get(m.seq);
    if (held) {
      if (held.id !== m.id || held.text !== m.text)
        this.errors.push(`${this.label}: seq ${m.seq} of room ${m.roomId} is ${JSON.stringify(held)} and also ${JSON.stringify(m)} (${how})`);
      return false;
    }
    if (m.seq <= st.base) return false;
    st.have.set(m.seq, m);
    return true;
  }

  onLive(m) {
    const st = this.rooms.get(m.roomId);
    if (!st) return;
    const n = (st.live.get(m.seq) ?? 0) + 1;
    st.live.set(m.seq, n);
    if (n > 1) this.errors.push(`${this.label}: seq ${m.seq} of room ${m.roomId} shown twice (live ${n} times): ${m.text}`);
    if (m.seq <= st.lastSeq) return; // held already (from a sync): ignored
    this.merge(st, m, "live");
    this.advance(st);
    if (m.seq > st.lastSeq) {
      // A gap below this message: ask for what lies between.
      this.syncs.gap++;
      this.requestSync();
    }
  }

  /** Asks for a sync; runs one at a time, again while more is wanted (gaps, failures). */
  requestSync() {
    this.syncWanted = true;
    if (!this.syncing) this.syncing = this.syncLoop().finally(() => (this.syncing = null));
  }

  async syncLoop() {
    while (this.syncWanted && !this.closed) {
      if (!this.socket.connected) return; // the next `connect` syncs
      this.syncWanted = false;
      const rooms = {};
      for (const [id, st] of this.rooms) rooms[id] = st.lastSeq;
      let res;
      try {
        res = await this.socket.timeout(8000).emitWithAck("sync", { rooms });
      } catch (e) {
        res = { ok: false, error: e.message };
      }
      if (!res?.ok) {
        this.syncs.failed++;
        this.syncWanted = true;
        await sleep(500);
        continue;
      }
      this.syncs.done++;
      for (const [id, list] of Object.entries(res.messages ?? {})) {
        const st = this.rooms.get(Number(id));
        if (!st) continue;
        for (const m of list) this.merge(st, m, "sync");
        this.advance(st);
        if (list.length >= 500) this.syncWanted = true; // capped: ask for the rest
        const highest = Math.max(0, ...st.have.keys());
        if (highest > st.lastSeq) this.syncWanted = true; // a hole remains below a held message
      }
    }
  }

  /**
   * message:send with an ack timeout. Resolves with the ack ({ok:false,error:"ack_timeout"} when
   * none came). Never rejects.
   */
  async sendOnce(roomId, text, clientId, ackMs = 10000) {
    try {
      return await this.socket.timeout(ackMs).emitWithAck("message:send", { roomId, text, clientId });
    } catch (e) {
      return { ok: false, error: "ack_timeout", message: e.message };
    }
  }

  /** Sends (same clientId on every attempt) until acked; throws after `ms`. */
  async sendReliably(roomId, text, { clientId = newClientId(this.label), ms = 30000 } = {}) {
    const deadline = Date.now() + ms;
    const tried = [];
    for (;;) {
      if (this.socket.connected) {
        const res = await this.sendOnce(roomId, text, clientId, Math.min(10000, Math.max(1000, deadline - Date.now())));
        if (res?.ok) return res.message;
        tried.push(res?.error ?? JSON.stringify(res));
      }
      if (Date.now() > deadline)
        throw new Error(`${this.label}: message "${text}" not acknowledged within ${ms} ms (attempts: ${tried.join(", ") || "never connected"})`);
      await sleep(250);
    }
  }

  /** Seqs held for a room, ascending. */
  seqs(roomId) {
    return [...this.rooms.get(roomId).have.keys()].sort((a, b) => a - b);
  }

  close() {
    this.closed = true;
    try {
      this.socket.disconnect();
      this.socket.io.engine?.close();
    } catch {
      // closed already
    }
    open.delete(this);
  }
}

export function closeAllClients() {
  for (const c of [...open]) c.close();
  open.clear();
}

/**
 * Traffic: every sender sends a message every `everyMs` (± jitter) while `running()`; a message
 * whose ack fails (replica died, storage down, timeout) is retried later with the same clientId.
 * `finish()` stops sending and retries what is still unacknowledged until acked (bounded).
 */
export function traffic(senders, roomId, { everyMs = 250, tag = "m" } = {}) {
  const acked = [];
  const pending = []; // {sender, text, clientId}
  const errorAcks = [];
  let running = true;
  let n = 0;
  const loops = senders.map(async (s, i) => {
    await sleep(Math.random() * everyMs);
    while (running && !s.closed) {
      if (s.connected) {
        const item = pending.findIndex((p) => p.sender === s);
        const job = item >= 0 ? pending.splice(item, 1)[0] : { sender: s, text: `${tag} ${s.label} #${++n}`, clientId: newClientId(s.label) };
        const res = await s.sendOnce(roomId, job.text, job.clientId, 10000);
        if (res?.ok) acked.push({ ...res.message, sentBy: s.label });
        else {
          errorAcks.push({ sender: s.label, res, at: Date.now() });
          pending.push(job);
        }
      }
      await sleep(everyMs * (0.5 + Math.random()));
    }
  });
  return {
    acked,
    pending,
    errorAcks,
    count: () => acked.length,
    async finish(ms = 30000) {
      running = false;
      await within(Promise.all(loops), 15000, "the senders' last sends");
      const left = pending.splice(0);
      for (const job of left) {
        const m = await job.sender.sendReliably(roomId, job.text, { clientId: job.clientId, ms });
        acked.push({ ...m, sentBy: job.sender.label });
      }
      return acked;
    },
  };
}

/**
 * The end of a scenario: `marker` sends one last message (so every client can tell what it
 * missed), a fresh sync from 0 gives the stored messages 1..N, and every client must come to
 * hold exactly those, with every acknowledged message, nothing shown twice.
 */
export async function assertConverged(clients, roomId, acked, { marker, ms = 30000 } = {}) {
  const end = await marker.sendReliably(roomId, "end of traffic", { ms });
  acked = [...acked, end];
  // Every stored message, from a sync from 0 (paged by 500).
  const stored = [];
  for (;;) {
    const from = stored.length ? stored[stored.length - 1].seq : 0;
    const res = await within(marker.socket.emitWithAck("sync", { rooms: { [roomId]: from } }), 10000, "the final sync from 0");
    assert.equal(res?.ok, true, `final sync: ${JSON.stringify(res)}`);
    const list = res.messages[roomId] ?? [];
    stored.push(...list);
    if (list.length < 500) break;
  }
  const N = stored.length;
  assert.deepEqual(
    stored.map((m) => m.seq),
    Array.from({ length: N }, (_, i) => i + 1),
    "the stored messages have the seqs 1..N, in order, without holes",
  );
  assert.ok(N >= end.seq, `the end marker (seq ${end.seq}) is stored (N = ${N})`);
  const byClientId = new Map();
  for (const m of stored) {
    if (m.clientId) {
      assert.ok(!byClientId.has(m.clientId), `clientId ${m.clientId} stored twice: seqs ${byClientId.get(m.clientId)} and ${m.seq}`);
      byClientId.set(m.clientId, m.seq);
    }
  }
  for (const a of acked) {
    const s = stored[a.seq - 1];
    assert.ok(s && s.id === a.id && s.text === a.text, `acknowledged message ${JSON.stringify(a)} is stored as seq ${a.seq}: ${JSON.stringify(s)}`);
  }
  const describe = () =>
    clients
      .filter((c) => c.room(roomId).lastSeq !== N || c.room(roomId).have.size !== N)
      .map(
        (c) =>
          `${c.label} (${c.kind}, connected ${c.connected}, connects ${c.connects}, syncs ${JSON.stringify(c.syncs)}): lastSeq ${c.room(roomId).lastSeq}, holds ${c.room(roomId).have.size}, missing ${Array.from({ length: N }, (_, i) => i + 1)
            .filter((s) => !c.room(roomId).have.has(s))
            .slice(0, 20)
            .join(",")}`,
      )
      .join("\n");
  const deadline = Date.now() + ms;
  while (clients.some((c) => c.room(roomId).lastSeq < N || c.syncing)) {
    if (Date.now() > deadline) throw new Error(`clients did not converge on seqs 1..${N} within ${ms} ms:\n${describe()}`);
    await sleep(50);
  }
  for (const c of clients) {
    assert.deepEqual(c.errors, [], `${c.label}: ${c.errors.join("\n")}`);
    const st = c.room(roomId);
    assert.deepEqual(c.seqs(roomId), Array.from({ length: N }, (_, i) => i + 1), `${c.label} holds exactly seqs 1..${N}`);
    for (const s of stored) assert.deepEqual(st.have.get(s.seq), s, `${c.label}: seq ${s.seq} as stored`);
  }
  return { N, stored };
}

/** Clients of `users`: one of each kind pre-placed on each replica, plus one of each kind placed by HAProxy. */
export async function spreadClients(lbUrl, users, { reconnection = true } = {}) {
  const kinds = ["polling", "websocket", "upgrade"];
  const clients = [];
  let u = 0;
  for (const server of ["chat1", "chat2", "chat3", null])
    for (const kind of kinds) {
      const user = users[u++ % users.length];
      clients.push(
        new TrackingClient(lbUrl, user.cookie, {
          kind,
          server: server ?? undefined,
          label: `${user.user.name}/${kind}@${server ?? "lb"}`,
          reconnection,
        }),
      );
    }
  await Promise.all(clients.map((c) => c.open()));
  return clients;
}

/** Every client joins room `name` (created by the first) and tracks it from seq 0. */
export async function joinRoom(clients, name) {
  const first = await clients[0].socket.timeout(10000).emitWithAck("room:join", { name });
  assert.equal(first?.ok, true, `room:join ${name}: ${JSON.stringify(first)}`);
  const roomId = first.room.id;
  for (const c of clients) c.track(roomId);
  await Promise.all(
    clients.slice(1).map(async (c) => {
      const res = await c.socket.timeout(10000).emitWithAck("room:join", { roomId });
      assert.equal(res?.ok, true, `${c.label}: room:join ${roomId}: ${JSON.stringify(res)}`);
    }),
  );
  return roomId;
}

