// Scenario 2: alice opens a direct conversation with bob; carol, a third user, can see none of it.
import assert from "node:assert/strict";
import { connectChat, usersConnected } from "../lib/chat-client.mjs";
import { serverTest, useChatServer } from "../lib/chat-server.mjs";
import { account } from "../lib/fixtures.mjs";
import { request } from "../lib/net.mjs";
import { sleep } from "../lib/wait.mjs";

const fx = useChatServer();

/** A stranger to the DM is refused by every event and route that could read or write it. */
async function assertEveryDoorClosed(s, c, carol, dm, general) {
  const join = await c.ack("room:join", { roomId: dm.id });
  assert.equal(join.ok, false, `carol joined the DM: ${JSON.stringify(join)}`);
  assert.equal(join.error, "forbidden");
  assert.equal(join.messages, undefined);

  const hist = await c.ack("history", { roomId: dm.id, beforeSeq: 0, limit: 50 });
  assert.equal(hist.ok, false, `carol read the DM's history: ${JSON.stringify(hist)}`);
  assert.equal(hist.error, "forbidden");

  const send = await c.ack("message:send", { roomId: dm.id, text: "let me in", clientId: "carol-1" });
  assert.equal(send.ok, false, `carol wrote into the DM: ${JSON.stringify(send)}`);
  assert.equal(send.error, "forbidden");

  const sync = await c.ack("sync", { rooms: { [dm.id]: 0, [general.id]: 0 } });
  assert.equal(sync.ok, true, JSON.stringify(sync));
  assert.deepEqual(sync.messages[dm.id] ?? [], [], `sync leaked the DM to carol: ${JSON.stringify(sync)}`);
  assert.ok(Array.isArray(sync.messages[general.id]), "sync still answers for carol's own rooms");

  const viaHttp = await request(s, "GET", `/api/rooms/${dm.id}/messages`, { cookie: carol.cookie });
  assert.equal(viaHttp.status, 403, viaHttp.text);
  assert.equal(viaHttp.json.error, "forbidden");
  assert.equal(viaHttp.json.messages, undefined);

  const carolRooms = await request(s, "GET", "/api/rooms", { cookie: carol.cookie });
  assert.equal(carolRooms.status, 200);
  assert.equal(carolRooms.json.rooms.find((r) => r.id === dm.id), undefined, "the DM is in carol's room list");
}

/** Both members read the DM's messages over HTTP and find it in their room lists. */
async function assertMembersReadOverHttp(s, [alice, bob], dm, messages) {
  for (const who of [alice, bob]) {
    const page = await request(s, "GET", `/api/rooms/${dm.id}/messages`, { cookie: who.cookie });
    assert.equal(page.status, 200, page.text);
    assert.deepEqual(page.json.messages, messages);
    const rooms = await request(s, "GET", "/api/rooms", { cookie: who.cookie });
    const entry = rooms.json.rooms.find((r) => r.id === dm.id);
    assert.equal(entry?.kind, "direct");
    assert.equal(entry?.lastSeq, messages.at(-1).seq);
    assert.equal(entry?.peer?.id, who === alice ? bob.user.id : alice.user.id);
  }
}

serverTest(fx, "a direct conversation reaches both members and nobody else", async () => {
  const s = fx.server;
  const {
    accounts: [alice, bob, carol],
    clients: [a, b, c],
  } = await usersConnected(s, ["alice", "bob", "carol"], { bob: { transports: ["websocket"] } });
  const general = a.room("general");

  // Opening.
  const opened = await a.ack("dm:open", { userName: "bob" });
  assert.equal(opened.ok, true, JSON.stringify(opened));
  const dm = opened.room;
  assert.equal(dm.kind, "direct");
  assert.equal(typeof dm.id, "number");
  assert.notEqual(dm.id, general.id);
  assert.equal(dm.joined, true);
  assert.equal(dm.peer?.id, bob.user.id, `alice's view of the DM has bob as peer: ${JSON.stringify(dm)}`);
  assert.equal(dm.peer?.name, "bob");
  assert.deepEqual(opened.messages, []);
  assert.ok(Array.isArray(opened.online));

  const added = await b.waitFor("room:added", (r) => r.id === dm.id);
  assert.equal(added.kind, "direct");
  assert.equal(added.peer?.id, alice.user.id, `bob's view of the DM has alice as peer: ${JSON.stringify(added)}`);
  assert.equal(added.peer?.name, "alice");
  assert.equal(c.all("room:added").length, 0, "carol must not hear of the DM");

  // Opening again (by name, any case) finds the same conversation.
  const again = await a.ack("dm:open", { userName: "BOB" });
  assert.equal(again.ok, true, JSON.stringify(again));
  assert.equal(again.room.id, dm.id);
  const fromBob = await b.ack("dm:open", { userName: "alice" });
  assert.equal(fromBob.ok, true, JSON.stringify(fromBob));
  assert.equal(fromBob.room.id, dm.id);

  const nobody = await a.ack("dm:open", { userName: "nobody-by-that-name" });
  assert.equal(nobody.ok, false);
  assert.equal(nobody.error, "not_found");

  // Messages reach both (bob never called room:join: the server subscribed him).
  const m1 = await a.send(dm.id, "psst, bob");
  assert.equal(m1.roomId, dm.id);
  assert.deepEqual(await b.waitFor("message", (m) => m.id === m1.id), m1);
  const m2 = await b.send(dm.id, "yes, alice?");
  assert.equal(m2.seq, m1.seq + 1);
  assert.deepEqual(await a.waitFor("message", (m) => m.id === m2.id), m2);

  // Carol cannot get in or read it, by any door; the members can, over HTTP too.
  await assertEveryDoorClosed(s, c, carol, dm, general);
  await assertMembersReadOverHttp(s, [alice, bob], dm, [m1, m2]);

  // After carol's attempts the DM is still closed to her: a new message does not reach her.
  const m3 = await a.send(dm.id, "still private?");
  await b.waitFor("message", (m) => m.id === m3.id);
  // Barrier: a message in general reaches carol after the DM messages were sent.
  const marker = await a.send(general.id, "barrier");
  await c.waitFor("message", (m) => m.id === marker.id);
  await sleep(100);
  const leaked = c.all("message", (m) => m.roomId === dm.id);
  assert.deepEqual(leaked, [], "carol received DM messages");
  assert.equal(c.all("typing", (t) => t.roomId === dm.id).length, 0);
  assert.deepEqual(c.all("room:added"), [], "carol was told of a room");
  assert.equal(c.all("presence", (p) => p.roomId === dm.id).length, 0, "carol got the DM's presence");
});

serverTest(fx, "a reconnecting member gets the DM in ready; a stranger's new connection does not", async () => {
  const s = fx.server;
  const alice = await account(s, "alice");
  const bob = await account(s, "bob");
  const carol = await account(s, "carol");
  const a = await connectChat(s, alice.cookie, { label: "alice" });
  const dm = (await a.ack("dm:open", { userName: "bob" })).room;
  const b = await connectChat(s, bob.cookie, { label: "bob (new connection)" });
  const inReady = b.ready.rooms.find((r) => r.id === dm.id);
  assert.ok(inReady, `bob's ready lacks the DM: ${JSON.stringify(b.ready.rooms)}`);
  assert.equal(inReady.kind, "direct");
  assert.equal(inReady.peer?.name, "alice");
  const c = await connectChat(s, carol.cookie, { label: "carol (new connection)" });
  assert.equal(c.ready.rooms.find((r) => r.id === dm.id), undefined);

  const m = await a.send(dm.id, "hello again");
  assert.deepEqual(await b.waitFor("message", (x) => x.id === m.id), m);
  const general = a.room("general");
  const marker = await a.send(general.id, "barrier 2");
  await c.waitFor("message", (x) => x.id === marker.id);
  await sleep(100);
  assert.deepEqual(c.all("message", (x) => x.roomId === dm.id), []);
});
