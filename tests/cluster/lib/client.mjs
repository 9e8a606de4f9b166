// The cluster suite's clients and traffic, on the shared chat client (tests/lib/chat-client.mjs:
// seq tracking, sync on gaps / reconnects / `resync`, HAProxy cookie stickiness):
//  - clusterClient(): a ChatClient as a browser behind the load balancer is — reconnecting with
//    backoff, keeping the cookies HAProxy sets (with CLUSTER_LB=roundrobin it sets none);
//  - replicaOf(): the replica a client is on: its SERVERID cookie behind the sticky balancer, the
//    owner of its Engine.IO session (the session id's tag) behind the round-robin one;
//  - spreadClients(): clients of every kind placed on every replica (SERVERID cookie, or, without
//    affinity, reconnecting until HAProxy happened to hand the handshake to that replica);
//  - traffic(): senders that keep sending, retrying unacknowledged messages with their clientId;
//  - assertConverged(): every client ends with exactly the stored messages, none twice.
import assert from "node:assert/strict";
import { ChatClient, newClientId } from "../../lib/chat-client.mjs";
import { sleep, within } from "../../lib/wait.mjs";
import { ROUND_ROBIN, ownerOfSid } from "./cluster.mjs";

/** What a cluster client sets on io(): reconnects with backoff, a longer connect timeout. */
const CLUSTER_IO_OPTIONS = {
  reconnectionDelay: 300,
  reconnectionDelayMax: 2000,
  randomizationFactor: 0.3,
  timeout: 8000,
};

/**
 * A ChatClient to `url` (the load balancer or one replica). Options: `kind` (polling | websocket
 * | upgrade, default upgrade), `server` (chat1..3: pre-set SERVERID to place it on a replica
 * behind the sticky balancer; the round-robin one knows no cookie: use spreadClients/placeOn),
 * `label`, `reconnection` (default true).
 */
export function clusterClient(url, cookie, { kind = "upgrade", server, label = "client", reconnection = true } = {}) {
  if (server && ROUND_ROBIN) throw new Error(`${label}: a SERVERID cookie means nothing to the round-robin balancer (use placeOn)`);
  return new ChatClient(url, cookie, {
    kind,
    server,
    label,
    reconnection,
    withCredentials: true,
    ioOptions: CLUSTER_IO_OPTIONS,
    openMs: 15000,
  });
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
      .filter((c) => c.timeline(roomId).lastSeq !== N || c.timeline(roomId).size !== N)
      .map(
        (c) =>
          `${c.label} (${c.kind}, connected ${c.connected}, connects ${c.connects}, syncs ${JSON.stringify(c.syncs)}): lastSeq ${c.timeline(roomId).lastSeq}, holds ${c.timeline(roomId).size}, missing ${Array.from({ length: N }, (_, i) => i + 1)
            .filter((s) => !c.timeline(roomId).has(s))
            .slice(0, 20)
            .join(",")}`,
      )
      .join("\n");
  const deadline = Date.now() + ms;
  while (clients.some((c) => c.timeline(roomId).lastSeq < N || c.syncing)) {
    if (Date.now() > deadline) throw new Error(`clients did not converge on seqs 1..${N} within ${ms} ms:\n${describe()}`);
    await sleep(50);
  }
  for (const c of clients) {
    assert.deepEqual(c.errors, [], `${c.label}: ${c.errors.join("\n")}`);
    const timeline = c.timeline(roomId);
    assert.deepEqual(c.seqs(roomId), Array.from({ length: N }, (_, i) => i + 1), `${c.label} holds exactly seqs 1..${N}`);
    for (const s of stored) assert.deepEqual(timeline.get(s.seq), s, `${c.label}: seq ${s.seq} as stored`);
  }
  return { N, stored };
}

/** The Engine.IO session id a client has now (changes when it reconnects). */
export function sessionId(client) {
  return client.socket.io.engine?.id ?? null;
}

/**
 * The replica a client is on now: behind the sticky balancer the one its SERVERID cookie names,
 * behind the round-robin one the owner of its Engine.IO session (where its requests end up,
 * whichever replica HAProxy hands them to).
 */
export function replicaOf(client) {
  return ROUND_ROBIN ? ownerOfSid(sessionId(client)) : client.serverCookie;
}

/**
 * A client of `kind` whose Engine.IO session `server` owns, through the round-robin balancer: it
 * connects through HAProxy and, while the handshake went to another replica, closes and connects
 * again (HAProxy hands each new request to the next replica, so this takes a few tries).
 */
export async function placeOn(lbUrl, user, { kind, server, label, reconnection = true, tries = 40 }) {
  const owners = [];
  for (let i = 0; i < tries; i++) {
    const c = clusterClient(lbUrl, user.cookie, { kind, label, reconnection });
    await c.open();
    const owner = ownerOfSid(sessionId(c));
    if (owner === server) return c;
    owners.push(owner);
    c.close();
  }
  throw new Error(`${label}: ${tries} handshakes through HAProxy never landed on ${server} (owners: ${owners.join(", ")})`);
}

/**
 * Clients of `users`: one of each kind placed on each replica of `on` (sticky: a pre-set SERVERID
 * cookie; round robin: placeOn, by the session's owner), labelled user/kind@chatN, plus one of
 * each kind placed by HAProxy alone (@lb) unless `lb` is false.
 */
export async function spreadClients(lbUrl, users, { reconnection = true, on = ["chat1", "chat2", "chat3"], lb = true } = {}) {
  const kinds = ["polling", "websocket", "upgrade"];
  const clients = [];
  const placed = [];
  let u = 0;
  for (const server of [...on, ...(lb ? [null] : [])])
    for (const kind of kinds) {
      const user = users[u++ % users.length];
      const label = `${user.user.name}/${kind}@${server ?? "lb"}`;
      if (server && ROUND_ROBIN) {
        placed.push(placeOn(lbUrl, user, { kind, server, label, reconnection }));
        continue;
      }
      clients.push(clusterClient(lbUrl, user.cookie, { kind, server: server ?? undefined, label, reconnection }));
    }
  // Every attempt settles before this returns or throws: nothing keeps connecting after a failure.
  const results = await Promise.allSettled([...placed, ...clients.map((c) => c.open())]);
  const failed = results.find((r) => r.status === "rejected");
  if (failed) throw failed.reason;
  return [...results.slice(0, placed.length).map((r) => r.value), ...clients];
}

/**
 * Behind the round-robin balancer nobody carries a balancer cookie: asserts that no client's jar
 * (or pre-set cookie) holds SERVERID, so nothing but chatd's forwarding can have kept a polling
 * session together.
 */
export function assertNoAffinityCookie(clients) {
  for (const c of clients) assert.equal(c.serverCookie, null, `${c.label} carries a SERVERID cookie behind the round-robin balancer`);
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

