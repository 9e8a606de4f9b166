// Scenario 5: bob misses messages while disconnected and catches up with `sync`.
import assert from "node:assert/strict";
import { aliceAndBob } from "../lib/chat-client.mjs";
import { serverTest, useChatServer } from "../lib/chat-server.mjs";
import { sleep, until } from "../lib/wait.mjs";

const fx = useChatServer();

serverTest(fx, "after a reconnect, sync returns exactly the missed messages, in order", async () => {
  const { alice, bob, a, b, general } = await aliceAndBob(fx.server);

  const seen = await a.send(general.id, "before the gap");
  await b.waitFor("message", (m) => m.id === seen.id);
  const lastSeq = seen.seq;

  // Fully caught up: nothing to sync.
  const upToDate = await b.ack("sync", { rooms: { [general.id]: lastSeq } });
  assert.equal(upToDate.ok, true, JSON.stringify(upToDate));
  assert.deepEqual(upToDate.messages, { [general.id]: [] });

  const mark = a.events.length;
  b.disconnect();
  // Wait until alice sees bob go offline, so the server has processed the disconnect.
  await a.waitFor("presence", (p) => p.roomId === general.id && !p.online.some((u) => u.id === bob.user.id), {
    from: mark,
    ms: 3000,
  });

  const missed = [];
  for (let i = 0; i < 5; i++) missed.push(await a.send(general.id, `missed ${i}`));
  assert.deepEqual(
    missed.map((m) => m.seq),
    [1, 2, 3, 4, 5].map((k) => lastSeq + k),
  );

  const beforeReconnect = b.events.length;
  const ready = await b.open();
  assert.equal(ready.rooms.find((r) => r.id === general.id)?.lastSeq, missed[4].seq, "ready tells the room's lastSeq");

  const caughtUp = await b.ack("sync", { rooms: { [general.id]: lastSeq } });
  assert.equal(caughtUp.ok, true, JSON.stringify(caughtUp));
  assert.deepEqual(Object.keys(caughtUp.messages), [String(general.id)]);
  assert.deepEqual(caughtUp.messages[general.id], missed, "exactly the 5 missed messages, in seq order");

  // They were not also pushed live to the new connection (no duplicates).
  await sleep(100);
  const live = b.all("message", (m) => missed.some((x) => x.id === m.id), beforeReconnect);
  assert.deepEqual(live, []);

  // Syncing from the new position: nothing more.
  const again = await b.ack("sync", { rooms: { [general.id]: missed[4].seq } });
  assert.deepEqual(again.messages, { [general.id]: [] });

  // Live delivery works again on the new connection.
  const after = await a.send(general.id, "welcome back");
  assert.deepEqual(await b.waitFor("message", (m) => m.id === after.id, { from: beforeReconnect }), after);
});

serverTest(fx, "sync after a dropped connection and the client's automatic reconnection", async () => {
  const { bob, a, b, general } = await aliceAndBob(fx.server, {
    transports: ["websocket"],
    // Reconnects by itself, after a fixed delay long enough for alice to send meanwhile.
    ioOptions: { reconnection: true, reconnectionDelay: 1500, reconnectionDelayMax: 1500, randomizationFactor: 0 },
  });
  const lastSeq = (await a.send(general.id, "before the drop")).seq;
  await b.waitFor("message", (m) => m.seq === lastSeq && m.roomId === general.id);

  // Simulate a network drop: the client's transport closes without a Socket.IO disconnect.
  const readies = b.all("ready").length;
  const mark = a.events.length;
  b.socket.io.engine.close();
  await a.waitFor("presence", (p) => p.roomId === general.id && !p.online.some((u) => u.id === bob.user.id), {
    from: mark,
    ms: 5000,
  });
  const missed = [];
  for (let i = 0; i < 3; i++) missed.push(await a.send(general.id, `while dropped ${i}`));
  await until(() => b.all("ready").length === readies + 1, 8000, "bob to reconnect by himself and get ready");
  assert.equal(b.socket.connected, true);
  const caughtUp = await b.ack("sync", { rooms: { [general.id]: lastSeq } });
  assert.equal(caughtUp.ok, true, JSON.stringify(caughtUp));
  assert.deepEqual(caughtUp.messages[general.id], missed);
});

serverTest(fx, "a client that was away gets the edits, deletes and reactions it missed from its sync (test client, web/changes.js)", async () => {
  const { a, b, general } = await aliceAndBob(fx.server, {
    transports: ["websocket"],
    ioOptions: { reconnection: true, reconnectionDelay: 1500, reconnectionDelayMax: 1500, randomizationFactor: 0 },
  });
  const joined = await b.ack("room:join", { roomId: general.id });
  b.track(general.id, joined.room.lastSeq, joined.room.lastChange);
  const one = await a.send(general.id, "one");
  const two = await a.send(general.id, "two");
  await b.until(() => b.timeline(general.id).has(two.seq), 3000, "both messages live");
  const first = await a.ack("message:edit", { roomId: general.id, seq: one.seq, text: "one (edited)" });
  await b.until(() => b.timeline(general.id).get(one.seq).text === "one (edited)", 3000, "the live edit");
  const held = b.timeline(general.id).lastChange;
  assert.equal(held, first.message.change, "in order: the number moved with it");

  const readies = b.all("ready").length;
  b.socket.io.engine.close();
  await a.ack("message:edit", { roomId: general.id, seq: one.seq, text: "one (edited twice)" });
  await a.ack("reaction:set", { roomId: general.id, seq: two.seq, emoji: "🎉" });
  const gone = await a.ack("message:delete", { roomId: general.id, seq: two.seq });
  await until(() => b.all("ready").length === readies + 1, 8000, "bob to reconnect by himself");
  const t = b.timeline(general.id);
  await b.until(() => t.lastChange === gone.message.change, 5000, () => `changes synced (holds ${t.lastChange})`);
  assert.equal(t.get(one.seq).text, "one (edited twice)");
  assert.equal(t.get(two.seq).deleted, true);
  assert.deepEqual(t.get(two.seq).reactions, [], "a tombstone keeps no reactions");
  assert.ok(b.syncs.reconnect >= 1);
  assert.deepEqual(b.errors, []);
});

serverTest(fx, "sync over several rooms answers per room; unknown rooms are left out", async () => {
  const { bob, a, b, general } = await aliceAndBob(fx.server);
  const dm = (await a.ack("dm:open", { userName: "bob" })).room;
  await b.waitFor("room:added", (r) => r.id === dm.id);
  const g1 = await a.send(general.id, "g1");
  const d1 = await a.send(dm.id, "d1");
  const d2 = await a.send(dm.id, "d2");
  await b.waitFor("message", (m) => m.id === d2.id);
  const res = await b.ack("sync", { rooms: { [general.id]: g1.seq - 1, [dm.id]: d1.seq, 987654321: 0 } });
  assert.equal(res.ok, true, JSON.stringify(res));
  assert.deepEqual(res.messages[general.id], [g1]);
  assert.deepEqual(res.messages[dm.id], [d2]);
  assert.deepEqual(res.messages["987654321"] ?? [], [], "nothing for a room that does not exist");
});
