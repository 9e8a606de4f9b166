// Scenario 7: who is online in a room (one entry per user, however many tabs), and typing
// indicators.
import assert from "node:assert/strict";
import { aliceAndBob, connectChat, names, usersConnected } from "../lib/chat-client.mjs";
import { serverTest, useChatServer } from "../lib/chat-server.mjs";
import { account } from "../lib/fixtures.mjs";
import { sleep } from "../lib/wait.mjs";

const fx = useChatServer();

function inRoom(roomId) {
  return (p) => p.roomId === roomId;
}

serverTest(fx, "presence lists each online user once; it changes only when the last tab goes", async () => {
  const s = fx.server;
  const alice = await account(s, "alice");
  const bob = await account(s, "bob");

  const a1 = await connectChat(s, alice.cookie, { label: "alice tab 1" });
  const general = a1.room("general");
  const first = await a1.waitFor("presence", (p) => p.roomId === general.id && p.online.length === 1);
  assert.deepEqual(names(first.online), ["alice"]);
  assert.deepEqual(first.online[0], alice.user, "presence entries are Users");

  const b = await connectChat(s, bob.cookie, { label: "bob", transports: ["websocket"] });
  const both = (p) => p.roomId === general.id && names(p.online).join() === "alice,bob";
  await a1.waitFor("presence", both);
  const bobsView = await b.waitFor("presence", inRoom(general.id));
  assert.deepEqual(names(bobsView.online), ["alice", "bob"]);

  // A second tab of alice: she is still listed once, everywhere.
  const bobMark = b.events.length;
  const a2 = await connectChat(s, alice.cookie, { label: "alice tab 2" });
  const a2View = await a2.waitFor("presence", inRoom(general.id));
  assert.deepEqual(names(a2View.online), ["alice", "bob"], "alice with two tabs appears once");
  const joined = await b.ack("room:join", { roomId: general.id });
  assert.equal(joined.ok, true, JSON.stringify(joined));
  assert.deepEqual(names(joined.online), ["alice", "bob"]);
  for (const p of b.all("presence", inRoom(general.id), bobMark))
    assert.deepEqual(names(p.online), ["alice", "bob"], `bob got presence ${JSON.stringify(p)}`);
  for (const c of [a1, a2, b])
    for (const p of c.all("presence", inRoom(general.id)))
      assert.equal(p.online.filter((u) => u.name === "alice").length <= 1, true, `${c.label}: ${JSON.stringify(p)}`);

  // Closing one of alice's tabs keeps her online.
  const beforeClose = b.events.length;
  a1.disconnect();
  await sleep(300);
  for (const p of b.all("presence", inRoom(general.id), beforeClose))
    assert.deepEqual(names(p.online), ["alice", "bob"], `alice went offline with a tab still open: ${JSON.stringify(p)}`);
  const stillThere = await b.ack("room:join", { roomId: general.id });
  assert.deepEqual(names(stillThere.online), ["alice", "bob"]);

  // Closing the last one removes her.
  const beforeLast = b.events.length;
  a2.disconnect();
  const gone = await b.waitFor("presence", inRoom(general.id), { from: beforeLast, ms: 3000 });
  assert.deepEqual(names(gone.online), ["bob"]);
  const afterwards = await b.ack("room:join", { roomId: general.id });
  assert.deepEqual(names(afterwards.online), ["bob"]);
});

serverTest(fx, "presence of a new public room follows joins and leaves", async () => {
  const { alice, bob, a, b } = await aliceAndBob(fx.server);
  const created = await a.ack("room:join", { name: "presence-room" });
  assert.equal(created.ok, true, JSON.stringify(created));
  const roomId = created.room.id;
  assert.deepEqual(names(created.online), ["alice"]);

  const mark = a.events.length;
  const joined = await b.ack("room:join", { roomId });
  assert.equal(joined.ok, true, JSON.stringify(joined));
  assert.deepEqual(names(joined.online), ["alice", "bob"]);
  const seen = await a.waitFor("presence", inRoom(roomId), { from: mark });
  assert.deepEqual(names(seen.online), ["alice", "bob"]);

  const mark2 = a.events.length;
  const left = await b.ack("room:leave", { roomId });
  assert.deepEqual(left, { ok: true });
  const after = await a.waitFor("presence", inRoom(roomId), { from: mark2 });
  assert.deepEqual(names(after.online), ["alice"]);
});

serverTest(fx, "typing reaches the others in the room, not the typist, with user and roomId", async () => {
  const { alice, a, b, general } = await aliceAndBob(fx.server, { transports: ["websocket"] });

  a.emit("typing", { roomId: general.id, typing: true });
  const on = await b.waitFor("typing", (t) => t.typing === true);
  assert.deepEqual(on, { roomId: general.id, user: { id: alice.user.id, name: "alice" }, typing: true });

  a.emit("typing", { roomId: general.id, typing: false });
  const off = await b.waitFor("typing", (t) => t.typing === false);
  assert.deepEqual(off, { roomId: general.id, user: { id: alice.user.id, name: "alice" }, typing: false });

  // Barrier: a message sent after the typing events reaches alice; she got no typing of her own.
  const m = await b.send(general.id, "barrier");
  await a.waitFor("message", (x) => x.id === m.id);
  await sleep(100);
  assert.deepEqual(a.all("typing"), [], "the typist must not receive her own typing events");
  assert.equal(b.all("typing").length, 2);
});

serverTest(fx, "typing for a room one is not in reaches nobody", async () => {
  const {
    clients: [a, b, c],
  } = await usersConnected(fx.server, ["alice", "bob", "carol"]);
  const dm = (await a.ack("dm:open", { userName: "bob" })).room;
  await b.waitFor("room:added", (r) => r.id === dm.id);
  c.emit("typing", { roomId: dm.id, typing: true });
  const m = await c.send(c.room("general").id, "barrier");
  await b.waitFor("message", (x) => x.id === m.id);
  await a.waitFor("message", (x) => x.id === m.id);
  await sleep(100);
  assert.deepEqual(b.all("typing"), []);
  assert.deepEqual(a.all("typing"), []);
});

serverTest(fx, "presence entries stay plain Users after the user has typed", async () => {
  const { alice, a, b, general } = await aliceAndBob(fx.server);
  a.emit("typing", { roomId: general.id, typing: true });
  await b.waitFor("typing", (t) => t.typing === true);
  // Alice enters a room after typing: her presence entry there is her User, nothing more.
  const created = await a.ack("room:join", { name: "after-typing" });
  assert.equal(created.ok, true, JSON.stringify(created));
  assert.deepEqual(created.online, [alice.user]);
  const mark = a.events.length;
  const joined = await b.ack("room:join", { roomId: created.room.id });
  assert.deepEqual(
    joined.online.find((u) => u.id === alice.user.id),
    alice.user,
    `presence entry: ${JSON.stringify(joined.online)}`,
  );
  const p = await a.waitFor("presence", inRoom(created.room.id), { from: mark });
  for (const u of p.online) assert.deepEqual(Object.keys(u).sort(), ["avatar", "avatarSmall", "id", "name"]);
});

serverTest(fx, "a new conversation shows the other person online at once, and offline when they go", async () => {
  const s = fx.server;
  const carol = await account(s, "carol");
  const dave = await account(s, "dave");
  const c = await connectChat(s, carol.cookie, { label: "carol" });
  const d1 = await connectChat(s, dave.cookie, { label: "dave tab 1" });
  const d2 = await connectChat(s, dave.cookie, { label: "dave tab 2" });
  const opened = await c.ack("dm:open", { userName: "dave" });
  assert.equal(opened.ok, true, JSON.stringify(opened));
  const dm = opened.room.id;
  // dave's tabs join the conversation on their own event loops: the answer may come first, and
  // then carol is told at once that he is there.
  const online = names(opened.online).length === 2 ? opened.online
    : (await c.waitFor("presence", (p) => p.roomId === dm && p.online.length === 2, { ms: 2000 })).online;
  assert.deepEqual(names(online).sort(), ["carol", "dave"], "dave was online before the conversation existed");
  const seen = await d1.waitFor("presence", (p) => p.roomId === dm && p.online.length === 2);
  assert.deepEqual(names(seen.online).sort(), ["carol", "dave"]);
  // dave stays online until his last tab goes; then carol sees her conversation with him offline.
  d1.close();
  d2.close();
  const gone = await c.waitFor("presence", (p) => p.roomId === dm && p.online.length === 1, { ms: 5000 });
  assert.deepEqual(names(gone.online), ["carol"]);
});
