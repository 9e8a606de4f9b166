// The one authenticated chat test client (docs/CHAT_PROTOCOL.md), on the official
// socket.io-client. It records every event it receives (from before the connect, so `ready` and
// the first `presence` are never missed) and can wait on them with deadlines.
//
// Rooms it is told to track (track(roomId)) it follows as a real client does across replicas:
// live `message`s and `sync` answers are merged by seq into a room timeline (room-timeline.mjs,
// on web/timeline.js: the browser's merging); a gap, a reconnect or the server's `resync` makes
// it ask for a `sync` from the highest seq it holds without a hole. A seq that arrives twice on the live stream ("shown twice") or two
// different messages under one seq are recorded in `errors`.
//
// Load-balancer stickiness (the cluster suite): socket.io-client in Node keeps cookies only with
// withCredentials (a cookie jar per Engine.IO connection, filled from the polling answers'
// Set-Cookie): the jar captures HAProxy's SERVERID, and the session cookie goes in extraHeaders
// (the handshake is the only request chatd authenticates). `server` pre-sets SERVERID to place a
// client on one replica, as a browser that was there before would be.
import assert from "node:assert/strict";
import { io } from "socket.io-client";
import { account } from "./fixtures.mjs";
import { targetUrl } from "./net.mjs";
import { RoomTimeline } from "./room-timeline.mjs";
import { sleep, until, within } from "./wait.mjs";

/** Transports per client kind. */
export const KINDS = {
  polling: { transports: ["polling"] },
  websocket: { transports: ["websocket"] },
  upgrade: { transports: ["polling", "websocket"] },
};

const openClients = new Set();

let clientIdCounter = 0;
/** A clientId (idempotency key of message:send) unique in this test run. */
export function newClientId(label = "c") {
  return `${label}-${process.pid}-${Date.now().toString(36)}-${++clientIdCounter}`;
}

export class ChatClient {
  /**
   * `target`: a base URL or an object with `url` (a Chatd, a replica, the load balancer);
   * `cookie`: "chat_session=..." or null. Options: `kind` (polling | websocket | upgrade) or
   * `transports`; `label` (in messages); `reconnection` (default false); `server` (pre-set
   * SERVERID cookie, with `withCredentials`); `withCredentials` (keep cookies of the polling
   * answers, default false); `ioOptions` (anything else for io()); `openMs` (open()'s default
   * deadline, 8 s).
   */
  constructor(target, cookie, {
    kind, transports, label = "client", reconnection = false, server, withCredentials = false, ioOptions = {},
    openMs = 8000,
  } = {}) {
    this.openMs = openMs;
    this.url = targetUrl(target).origin;
    this.kind = kind ?? (transports ? transports.join("+") : "default");
    this.label = label;
    this.events = []; // {event, args, at}
    this.readies = [];
    this.ready = undefined;
    this.timelines = new Map(); // roomId -> RoomTimeline
    this.liveSeen = new Map(); // roomId -> Map seq -> times it arrived live
    this.errors = [];
    this.connects = 0;
    this.disconnects = [];
    this.syncs = { reconnect: 0, resync: 0, gap: 0, changeGap: 0, failed: 0, done: 0 };
    this.syncWanted = false;
    this.syncing = null;
    this.closed = false;
    const cookies = [cookie, server ? `SERVERID=${server}` : null].filter(Boolean).join("; ");
    this.socket = io(this.url, {
      forceNew: true,
      autoConnect: false,
      reconnection,
      timeout: 5000,
      withCredentials,
      extraHeaders: cookies ? { cookie: cookies } : {},
      ...(kind ? KINDS[kind] : {}),
      ...(transports ? { transports } : {}),
      ...ioOptions,
    });
    this.socket.onAny((event, ...args) => this.events.push({ event, args, at: Date.now() }));
    this.socket.on("ready", (r) => {
      this.readies.push(r);
      this.ready = r;
    });
    this.socket.on("message", (m) => this.onLive(m));
    this.socket.on("message:changed", (e) => this.onChanged(e));
    this.socket.on("resync", () => {
      if (!this.timelines.size) return;
      this.syncs.resync++;
      this.requestSync();
    });
    this.socket.on("connect", () => {
      this.connects++;
      if (this.connects > 1 && this.timelines.size) {
        this.syncs.reconnect++;
        this.requestSync();
      }
    });
    this.socket.on("disconnect", (reason, details) => this.disconnects.push({ reason, at: Date.now(), ...transportErrorDetail(details) }));
    // Reconnecting: a pre-set SERVERID may name a replica that is gone; from then on the cookie
    // HAProxy sets (kept in the new connection's jar) decides, as in a browser. (The Node
    // WebSocket transport also turns extraHeaders.cookie into an array and appends the jar's
    // cookies to it, in place: reset it to the session cookie alone.)
    if (cookie) this.socket.io.on("reconnect_attempt", () => {
      this.socket.io.opts.extraHeaders.cookie = cookie;
    });
    openClients.add(this);
  }

  /** Connects and waits for `connect` and then a new `ready`; returns the ready payload. */
  async open(ms = this.openMs) {
    const from = this.readies.length;
    await within(
      new Promise((resolve, reject) => {
        const ok = () => {
          this.socket.off("connect_error", bad);
          resolve();
        };
        const bad = (e) => {
          this.socket.off("connect", ok);
          const d = transportErrorDetail(e);
          reject(new Error(`${this.label}: connect_error ${e.message}${d.status ? ` (HTTP ${d.status}${d.body ? ` ${d.body}` : ""})` : ""}`));
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

  /** Waits until `pred()` is truthy (lib/wait.mjs until), the label in the timeout message. */
  async until(pred, ms, what) {
    return await until(pred, ms, () => `${this.label}: ${typeof what === "function" ? what() : what}`);
  }

  /** Payloads (first argument) of every recorded `event` matching `pred`, from index `from`. */
  all(event, pred = () => true, from = 0) {
    return this.events
      .slice(from)
      .filter((e) => e.event === event && pred(e.args[0]))
      .map((e) => e.args[0]);
  }

  /** Resolves with the first recorded (or future) `event` payload matching `pred`, from index `from`. */
  async waitFor(event, pred = () => true, { from = 0, ms = 3000 } = {}) {
    const found = await this.until(
      () => this.events.slice(from).find((e) => e.event === event && pred(e.args[0])),
      ms,
      `"${event}" matching ${pred.toString().slice(0, 200)}`,
    );
    return found.args[0];
  }

  /** emit with an ack; rejects after `ms`. Returns the ack's first argument. */
  async ack(event, payload, ms = 5000) {
    return await this.socket.timeout(ms).emitWithAck(event, payload);
  }

  emit(event, payload) {
    this.socket.emit(event, payload);
  }

  /** Sends a message and asserts the ack is ok; returns the stored message. */
  async send(roomId, text, clientId = newClientId()) {
    const res = await this.ack("message:send", { roomId, text, clientId });
    assert.equal(res?.ok, true, `${this.label}: message:send to ${roomId} failed: ${JSON.stringify(res)}`);
    return res.message;
  }

  /** message:send; resolves with the ack, {ok:false, error:"ack_timeout"} when none came. Never rejects. */
  async sendOnce(roomId, text, clientId, ackMs = 10000) {
    try {
      return await this.socket.timeout(ackMs).emitWithAck("message:send", { roomId, text, clientId });
    } catch (e) {
      return { ok: false, error: "ack_timeout", message: e.message };
    }
  }

  /** Sends (same clientId on every attempt) until acknowledged; throws after `ms`. */
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

  /** The public room with this name in the last `ready`, or undefined. */
  room(name) {
    return this.ready?.rooms?.find((r) => r.name === name && r.kind === "public");
  }

  /** The id of the public room with this name in the last `ready` (asserts it is there). */
  roomId(name) {
    const r = this.room(name);
    assert.ok(r, `${this.label}: no room ${name} in ready: ${JSON.stringify(this.ready)}`);
    return r.id;
  }

  get serverCookie() {
    const jar = this.socket.io.engine?._cookieJar;
    if (jar) for (const [name, c] of jar.cookies) if (name === "SERVERID") return c.value;
    return /SERVERID=(\w+)/.exec(String(this.socket.io.opts.extraHeaders?.cookie))?.[1] ?? null;
  }

  get transport() {
    return this.socket.io.engine?.transport?.name;
  }

  get connected() {
    return this.socket.connected;
  }

  // -------------------------------------------------------------------------------------------
  // Tracked rooms

  /**
   * Starts tracking a room from seq `from` (messages 1..from count as held) and change number
   * `change` (the room's changes up to it count as applied).
   */
  track(roomId, from = 0, change = 0) {
    this.timelines.set(roomId, new RoomTimeline(roomId, from, change));
    this.liveSeen.set(roomId, new Map());
  }

  /** The timeline of a tracked room. */
  timeline(roomId) {
    return this.timelines.get(roomId);
  }

  /** Seqs held for a tracked room, ascending. */
  seqs(roomId) {
    return this.timelines.get(roomId).seqs();
  }

  /** How many distinct seqs of a tracked room arrived on the live stream. */
  liveCount(roomId) {
    return this.liveSeen.get(roomId).size;
  }

  onLive(m) {
    const timeline = this.timelines.get(m.roomId);
    if (!timeline) return;
    const seen = this.liveSeen.get(m.roomId);
    const n = (seen.get(m.seq) ?? 0) + 1;
    seen.set(m.seq, n);
    if (n > 1) this.errors.push(`${this.label}: seq ${m.seq} of room ${m.roomId} shown twice (live ${n} times): ${m.text}`);
    const { conflict, gap } = timeline.addLive(m);
    if (conflict) this.errors.push(`${this.label}: ${conflict} (live)`);
    if (gap) {
      this.syncs.gap++;
      this.requestSync();
    }
  }

  /** A live `message:changed` of a tracked room: applied in order; a jump asks for a sync. */
  onChanged(event) {
    const timeline = this.timelines.get(event?.roomId);
    if (!timeline) return;
    const { syncFrom } = timeline.addChanged(event);
    if (syncFrom !== null) {
      this.syncs.changeGap++;
      this.requestSync();
    }
  }

  /** Asks for a sync; runs one at a time, again while more is wanted (gaps, full pages, failures). */
  requestSync() {
    this.syncWanted = true;
    if (!this.syncing) this.syncing = this.syncLoop().finally(() => (this.syncing = null));
  }

  async syncLoop() {
    while (this.syncWanted && !this.closed) {
      if (!this.socket.connected) return; // the next `connect` syncs
      this.syncWanted = false;
      const rooms = {};
      for (const [id, timeline] of this.timelines) rooms[id] = timeline.syncWant();
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
      for (const id of Object.keys(res.messages ?? {})) {
        const timeline = this.timelines.get(Number(id));
        if (!timeline) continue;
        const { conflicts, more } = timeline.addSynced(res, rooms);
        for (const c of conflicts) this.errors.push(`${this.label}: ${c} (sync)`);
        if (more) this.syncWanted = true;
      }
    }
  }

  disconnect() {
    this.socket.disconnect();
  }

  close() {
    this.closed = true;
    try {
      this.socket.disconnect();
      this.socket.io.engine?.close();
    } catch {
      // already closed
    }
    openClients.delete(this);
  }
}

/**
 * What engine.io-client knows of a failed HTTP request (a TransportError's description is the
 * status, its context the request): {status, body}, e.g. 400 and chatd's `{"code":1,"message":
 * "Session ID unknown"}`; {} when there is nothing.
 */
export function transportErrorDetail(e) {
  const status = typeof e?.description === "number" ? e.description : undefined;
  if (status === undefined) return {};
  let body;
  try {
    body = e.context?.responseText?.slice(0, 200);
  } catch {
    // not an XMLHttpRequest
  }
  return body ? { status, body } : { status };
}

/** Closes every ChatClient made so far (the suites' afterEach does this). */
export function closeAllClients() {
  for (const c of [...openClients]) c.close();
  openClients.clear();
}

/** Connects a recording client with `cookie` and waits for `ready`. */
/** `event` with an ack that must be `{ok: true}` (asserted, with what was asked and answered); returns it. */
export async function ok(client, event, payload) {
  const res = await client.ack(event, payload);
  assert.equal(res?.ok, true, `${client.label}: ${event} ${JSON.stringify(payload)} -> ${JSON.stringify(res)}`);
  return res;
}

export async function connectChat(target, cookie, opts = {}) {
  const client = new ChatClient(target, cookie, opts);
  await client.open();
  return client;
}

/**
 * Accounts for `names` (fixtures.mjs account(), all signed up first, in order), then a connected
 * client for each, in order, labelled with the name; `options[name]`: more client options for
 * that one (e.g. { transports: ["websocket"] }). Resolves to { accounts, clients } in the order of
 * `names`.
 */
export async function usersConnected(target, names, options = {}) {
  const accounts = [];
  for (const name of names) accounts.push(await account(target, name));
  const clients = [];
  for (const [i, name] of names.entries()) {
    clients.push(await connectChat(target, accounts[i].cookie, { label: name, ...options[name] }));
  }
  return { accounts, clients };
}

/**
 * The start of most two-user chat tests: usersConnected "alice" and "bob", and "general" from
 * alice's `ready`. `bobOptions`: more client options for bob.
 */
export async function aliceAndBob(target, bobOptions = {}) {
  const {
    accounts: [alice, bob],
    clients: [a, b],
  } = await usersConnected(target, ["alice", "bob"], { bob: bobOptions });
  return { alice, bob, a, b, general: a.room("general") };
}

/** Tries to connect; resolves with the connect_error message (fails if it connects). */
export async function connectError(target, cookie, { transports, ms = 5000 } = {}) {
  const client = new ChatClient(target, cookie, { transports, label: "refused client" });
  try {
    return await within(
      new Promise((resolve, reject) => {
        client.socket.once("connect", () => reject(new Error("connected, but the connect should have been refused")));
        client.socket.once("connect_error", (e) => resolve(e.message));
        client.socket.connect();
      }),
      ms,
      "connect_error",
    );
  } finally {
    client.close();
  }
}

/** Sorted names of a presence `online` list. */
export function names(users) {
  return users.map((u) => u.name).sort();
}
