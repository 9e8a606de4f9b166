// Cluster 8: edits, deletes and reactions (issue #13) across replicas. A change made on one
// replica reaches the room's clients on every replica once, with the room's change number; a
// client that was away, and the clients of replicas whose broker was down while changes were
// made, get every change from `sync` by change number, each message as it is now.
import assert from "node:assert/strict";
import { account } from "../lib/fixtures.mjs";
import { sleep, until } from "../lib/wait.mjs";
import { Cluster, clusterTest, state, useCluster } from "./lib/cluster.mjs";
import { joinRoom, spreadClients } from "./lib/client.mjs";

const fx = useCluster("changes");

let users;
async function setup(room) {
  const lb = fx.cluster.lbUrl;
  if (!users) users = [await account(lb, "uma"), await account(lb, "vic")];
  const clients = await spreadClients(lb, users);
  const roomId = await joinRoom(clients, room);
  // A client of `user` placed on replica `name` (spreadClients labels them user/kind@replica).
  const on = (name, user) => clients.find((c) => c.label.startsWith(`${user}/`) && c.label.endsWith(`@${name}`));
  return { clients, roomId, on };
}

async function ok(client, event, payload) {
  const res = await client.socket.timeout(15000).emitWithAck(event, payload);
  assert.equal(res?.ok, true, `${client.label}: ${event} ${JSON.stringify(payload)} -> ${JSON.stringify(res)}`);
  return res;
}

/** The change numbers of room `roomId` a client got live, in arrival order. */
function changesSeen(client, roomId) {
  return client.all("message:changed", (e) => e.roomId === roomId).map((e) => e.change);
}

/** The newest change number n such that changes 1..n all arrived (what a client may sync from). */
function contiguous(seen) {
  const got = new Set(seen);
  let n = 0;
  while (got.has(n + 1)) n++;
  return n;
}

/** sync from {seq, change}; the answer's changed list for the room. */
async function changedSince(client, roomId, seq, change) {
  const res = await ok(client, "sync", { rooms: { [roomId]: { seq, change } } });
  assert.equal(res.more, undefined, JSON.stringify(res.more));
  return res.changed[roomId];
}

function assertFinalState(changed, { edited, reacted, deleted }, label) {
  const bySeq = new Map(changed.map((m) => [m.seq, m]));
  assert.equal(bySeq.get(edited.seq)?.text, "edited on chat1", label);
  assert.deepEqual(bySeq.get(reacted.seq)?.reactions.map((r) => [r.emoji, r.count]), [["👍", 1]], label);
  assert.equal(bySeq.get(deleted.seq)?.deleted, true, label);
  assert.equal(bySeq.get(deleted.seq)?.text, "", label);
  assert.deepEqual(changed.map((m) => m.change), [...changed.map((m) => m.change)].sort((x, y) => x - y), label);
}

/** Three messages by uma@chat1, then an edit (chat1), a reaction (vic@chat2) and a delete (chat1). */
async function changeThings(clients, roomId, on) {
  const author = on("chat1", "uma");
  const sent = [];
  for (const text of ["to edit", "to react to", "to delete"]) sent.push(await author.send(roomId, text));
  await ok(author, "message:edit", { roomId, seq: sent[0].seq, text: "edited on chat1" });
  await ok(on("chat2", "vic"), "reaction:set", { roomId, seq: sent[1].seq, emoji: "👍" });
  await ok(author, "message:delete", { roomId, seq: sent[2].seq });
  return { edited: sent[0], reacted: sent[1], deleted: sent[2] };
}

clusterTest(fx, "a change made on one replica reaches the room on every replica, once, with its change number", async () => {
  const { clients, roomId, on } = await setup("changes-live");
  const things = await changeThings(clients, roomId, on);
  await until(() => clients.every((c) => changesSeen(c, roomId).length >= 3), 15000,
    () => `every client to get 3 changes: ${clients.map((c) => `${c.label}=${changesSeen(c, roomId)}`).join(" ")}`);
  await sleep(300);
  for (const c of clients)
    assert.deepEqual([...changesSeen(c, roomId)].sort(), [1, 2, 3], `${c.label}: each change once`);
  assertFinalState(await changedSince(clients[5], roomId, 0, 0), things, "sync from change 0");
});

clusterTest(fx, "a client that was away gets every change from sync", async () => {
  const { clients, roomId, on } = await setup("changes-away");
  const away = on("chat3", "vic");
  away.disconnect();
  const things = await changeThings(clients, roomId, on);
  await away.open();
  assert.deepEqual(changesSeen(away, roomId), []);
  const changed = await changedSince(away, roomId, 0, 0);
  assert.equal(changed.length, 3);
  assertFinalState(changed, things, away.label);
  assert.deepEqual(await changedSince(away, roomId, things.deleted.seq, 3), []);
});

clusterTest(fx, `changes made while the broker (${state.broker}) is down reach the other replicas' clients through sync`,
  async () => {
    const { clients, roomId, on } = await setup("changes-outage");
    const service = Cluster.brokerServiceName();
    await Cluster.service("stop", service);
    let things;
    try {
      // The change is stored, and broadcast on chat1 only: the others never hear of it live.
      things = await changeThings(clients, roomId, on);
    } finally {
      await Cluster.service("start", service);
    }
    const elsewhere = clients.filter((c) => !c.label.endsWith("@chat1") && c.connected);
    // Every replica tells its clients to sync once its broker connection is back.
    await until(() => elsewhere.every((c) => c.all("resync").length > 0 || !c.connected), 30000,
      () => `resync on every other replica: ${elsewhere.filter((c) => !c.all("resync").length).map((c) => c.label)}`);
    for (const c of clients.filter((x) => x.connected)) {
      // Each change is on a message of its own here, so from change n there are 3 - n to fetch.
      const position = contiguous(changesSeen(c, roomId));
      assertFinalState(await changedSince(c, roomId, 0, 0), things, c.label);
      const missing = await changedSince(c, roomId, 0, position);
      assert.equal(missing.length, 3 - position, `${c.label} had ${changesSeen(c, roomId)}`);
    }
  },
  { skip: state.broker === "postgres" ? "with PostgreSQL as the broker, a broker outage is a database outage: nothing can be changed meanwhile" : false });
