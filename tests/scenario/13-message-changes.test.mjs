// Scenario 13: changing sent messages (issue #13): edit and delete your own, reply with a quote,
// react; every change is stored first, told to the room as `message:changed` with the room's
// next change number, and brought by `sync` to a client that was away. Nobody can change,
// answer or react to what they cannot read, and a refusal says nothing about what is there.
import assert from "node:assert/strict";
import { connectChat, ok } from "../lib/chat-client.mjs";
import { serverTest, useChatServer } from "../lib/chat-server.mjs";
import { account } from "../lib/fixtures.mjs";
import { request } from "../lib/net.mjs";
import { sleep } from "../lib/wait.mjs";

const fx = useChatServer();

let rooms = 0;

/** alice and bob, connected, both in a new room (change numbers count per room, from 1). */
async function setup() {
  const s = fx.server;
  const alice = await account(s, "alice");
  const bob = await account(s, "bob");
  const a = await connectChat(s, alice.cookie, { label: "alice" });
  const b = await connectChat(s, bob.cookie, { label: "bob", transports: ["websocket"] });
  const room = (await ok(a, "room:join", { name: `changes ${++rooms}` })).room;
  await ok(b, "room:join", { roomId: room.id });
  return { s, alice, bob, a, b, room };
}

async function refused(client, event, payload, error) {
  const res = await client.ack(event, payload);
  assert.equal(res?.ok, false, `${event} should be refused: ${JSON.stringify(res)}`);
  assert.equal(res.error, error, JSON.stringify(res));
  return res;
}

/** The `message:changed` events a client got for room/seq. */
function changesOf(client, roomId, seq) {
  return client.all("message:changed", (e) => e.roomId === roomId && e.message.seq === seq);
}

serverTest(fx, "the author edits a message: everyone in the room gets it with the room's next change number", async () => {
  const { s, alice, a, b, room } = await setup();
  const sent = await a.send(room.id, "helo wrold");
  assert.equal(sent.change, 0);
  assert.equal(sent.editedAt, null);
  assert.deepEqual(sent.reactions, []);
  const res = await ok(a, "message:edit", { roomId: room.id, seq: sent.seq, text: "hello world" });
  assert.equal(res.message.text, "hello world");
  assert.equal(res.message.seq, sent.seq);
  assert.equal(res.message.id, sent.id);
  assert.equal(typeof res.message.editedAt, "number");
  assert.equal(res.message.change, 1);
  for (const c of [a, b]) {
    const event = await c.waitFor("message:changed", (e) => e.message.id === sent.id);
    assert.equal(event.roomId, room.id);
    assert.equal(event.change, 1);
    assert.deepEqual(event.message, res.message);
  }
  // The same text again changes nothing, and nothing is broadcast.
  const same = await ok(a, "message:edit", { roomId: room.id, seq: sent.seq, text: "hello world" });
  assert.equal(same.message.change, 1);
  const history = await request(s, "GET", `/api/rooms/${room.id}/messages`, { cookie: alice.cookie });
  const stored = history.json.messages.find((m) => m.id === sent.id);
  assert.equal(stored.text, "hello world");
  assert.equal(stored.change, 1);
  await sleep(100);
  assert.equal(changesOf(b, room.id, sent.seq).length, 1);
});

serverTest(fx, "nobody edits or deletes someone else's message, and a refusal broadcasts nothing", async () => {
  const { a, b, room } = await setup();
  const sent = await a.send(room.id, "mine");
  await refused(b, "message:edit", { roomId: room.id, seq: sent.seq, text: "yours now" }, "forbidden");
  await refused(b, "message:delete", { roomId: room.id, seq: sent.seq }, "forbidden");
  await refused(a, "message:edit", { roomId: room.id, seq: sent.seq + 50, text: "x" }, "not_found");
  await refused(a, "message:edit", { roomId: room.id, seq: sent.seq, text: "" }, "invalid_text");
  await refused(a, "message:edit", { roomId: room.id, text: "x" }, "bad_request");
  await refused(a, "message:delete", { roomId: room.id, seq: "1" }, "bad_request");
  await sleep(150);
  assert.equal(a.all("message:changed").length, 0);
  assert.equal(b.all("message:changed").length, 0);
});

serverTest(fx, "a delete leaves a tombstone: the text is gone from history, seqs and replies stay coherent", async () => {
  const { s, bob, a, b, room } = await setup();
  const original = await a.send(room.id, "a secret I regret\nsecond line");
  const reply = await ok(b, "message:send", { roomId: room.id, text: "what?", clientId: "r-1", replyTo: original.seq });
  assert.equal(reply.message.replyTo, original.seq);
  assert.deepEqual(reply.message.quote, {
    seq: original.seq, author: { id: original.author.id, name: "alice" }, text: "a secret I regret", deleted: false,
  });
  const after = await a.send(room.id, "after");

  const del = await ok(a, "message:delete", { roomId: room.id, seq: original.seq });
  assert.equal(del.message.deleted, true);
  assert.equal(del.message.text, "");
  assert.equal(del.message.seq, original.seq);
  const event = await b.waitFor("message:changed", (e) => e.message.id === original.id);
  assert.equal(event.message.deleted, true);
  assert.equal(event.message.text, "");

  const history = await request(s, "GET", `/api/rooms/${room.id}/messages`, { cookie: bob.cookie });
  const bySeq = new Map(history.json.messages.map((m) => [m.seq, m]));
  assert.equal(bySeq.get(original.seq).text, "");
  assert.equal(bySeq.get(original.seq).deleted, true);
  assert.ok(!JSON.stringify(history.json).includes("regret"), "the deleted text is nowhere in history");
  assert.deepEqual(bySeq.get(reply.message.seq).quote, {
    seq: original.seq, author: { id: original.author.id, name: "alice" }, text: "", deleted: true,
  });
  assert.equal(bySeq.get(after.seq).seq, original.seq + 2);

  // Deleting again is fine and changes nothing; a deleted message cannot be edited or reacted to.
  const again = await ok(a, "message:delete", { roomId: room.id, seq: original.seq });
  assert.equal(again.message.change, del.message.change);
  await refused(a, "message:edit", { roomId: room.id, seq: original.seq, text: "back" }, "not_found");
  await refused(b, "reaction:set", { roomId: room.id, seq: original.seq, emoji: "👍" }, "not_found");
  await sleep(100);
  assert.equal(changesOf(b, room.id, original.seq).length, 1);
});

serverTest(fx, "replies: to a message of the room only; the quote is the original's first line", async () => {
  const { a, room } = await setup();
  const long = "x".repeat(300);
  const original = await a.send(room.id, long);
  const reply = await ok(a, "message:send", { roomId: room.id, text: "re", clientId: "r-2", replyTo: original.seq });
  assert.equal(reply.message.quote.text, `${"x".repeat(200)}…`);
  await refused(a, "message:send", { roomId: room.id, text: "re", clientId: "r-3", replyTo: reply.message.seq + 5 },
    "not_found");
  await refused(a, "message:send", { roomId: room.id, text: "re", clientId: "r-4", replyTo: 0 }, "bad_request");
  await refused(a, "message:send", { roomId: room.id, text: "re", clientId: "r-5", replyTo: "1" }, "bad_request");
  // The refused sends used no seq.
  const next = await a.send(room.id, "next");
  assert.equal(next.seq, reply.message.seq + 1);
});

serverTest(fx, "reactions: one per user and emoji, toggled, counted with who reacted", async () => {
  const { a, b, room } = await setup();
  const sent = await a.send(room.id, "ship it?");
  const first = await ok(b, "reaction:set", { roomId: room.id, seq: sent.seq, emoji: "👍", on: true });
  assert.deepEqual(first.message.reactions, [{ emoji: "👍", count: 1, users: [{ id: b.ready.user.id, name: "bob" }] }]);
  // Reactions are ordered by when each emoji was first used, to the millisecond: keep them apart.
  await sleep(5);
  await ok(a, "reaction:set", { roomId: room.id, seq: sent.seq, emoji: "👍" });
  await sleep(5);
  const party = await ok(a, "reaction:set", { roomId: room.id, seq: sent.seq, emoji: "🎉", on: true });
  assert.deepEqual(party.message.reactions.map((r) => [r.emoji, r.count]), [["👍", 2], ["🎉", 1]]);
  // Already so: no change, no broadcast.
  const twice = await ok(b, "reaction:set", { roomId: room.id, seq: sent.seq, emoji: "👍", on: true });
  assert.equal(twice.message.change, party.message.change);
  const off = await ok(b, "reaction:set", { roomId: room.id, seq: sent.seq, emoji: "👍", on: false });
  assert.deepEqual(off.message.reactions.map((r) => [r.emoji, r.count]), [["👍", 1], ["🎉", 1]]);
  const events = await a.until(() => {
    const got = changesOf(a, room.id, sent.seq);
    return got.length === 4 && got;
  }, 3000, "four reaction changes");
  assert.deepEqual(events.map((e) => e.change), [1, 2, 3, 4]);
  // Skin tones, flags, keycaps and ZWJ sequences are one emoji; text and two emoji are not.
  for (const emoji of ["👍🏽", "🇫🇷", "1️⃣", "👩‍💻", "❤️"])
    await ok(b, "reaction:set", { roomId: room.id, seq: sent.seq, emoji });
  for (const emoji of ["", "a", "1", "👍👍", "<b>", "x".repeat(70), 5, null])
    await refused(b, "reaction:set", { roomId: room.id, seq: sent.seq, emoji }, "bad_request");
  await refused(b, "reaction:set", { roomId: room.id, seq: sent.seq, emoji: "👍", on: "yes" }, "bad_request");
});

serverTest(fx, "nothing in a conversation you are not in can be answered, reacted to or changed, and nothing leaks", async () => {
  const s = fx.server;
  const alice = await account(s, "alice");
  await account(s, "bob");
  const eve = await account(s, "eve");
  const a = await connectChat(s, alice.cookie, { label: "alice" });
  const e = await connectChat(s, eve.cookie, { label: "eve" });
  const dm = (await ok(a, "dm:open", { userName: "bob" })).room;
  const secret = await a.send(dm.id, "between us");
  const attempts = [
    ["reaction:set", { roomId: dm.id, seq: secret.seq, emoji: "👀" }],
    ["reaction:set", { roomId: dm.id, seq: secret.seq + 40, emoji: "👀" }],
    ["message:edit", { roomId: dm.id, seq: secret.seq, text: "x" }],
    ["message:delete", { roomId: dm.id, seq: secret.seq }],
    ["message:send", { roomId: dm.id, text: "x", clientId: "e-1", replyTo: secret.seq }],
  ];
  for (const [event, payload] of attempts) {
    const res = await refused(e, event, payload, "forbidden");
    assert.ok(!JSON.stringify(res).includes("between us"), JSON.stringify(res));
  }
  // The same answer whether the message exists or not: eve learns nothing from it.
  const real = await e.ack("reaction:set", attempts[0][1]);
  const made_up = await e.ack("reaction:set", attempts[1][1]);
  assert.deepEqual(real, made_up);
  // A room that does not exist.
  await refused(e, "message:edit", { roomId: dm.id + 1000, seq: 1, text: "x" }, "not_found");
  const synced = await ok(e, "sync", { rooms: { [dm.id]: { seq: 0, change: 0 } } });
  assert.deepEqual(synced.messages, {});
  assert.equal(synced.changed, undefined);
  await sleep(100);
  assert.equal(a.all("message:changed").length, 0);
});

serverTest(fx, "a client that was away gets every change since its position from sync, old clients only messages", async () => {
  const { a, b, room } = await setup();
  const one = await a.send(room.id, "one");
  const two = await a.send(room.id, "two");
  const three = await a.send(room.id, "three");
  const position = { seq: three.seq, change: 0 };
  b.disconnect();
  await ok(a, "message:edit", { roomId: room.id, seq: one.seq, text: "one (edited)" }); // change 1
  await ok(a, "reaction:set", { roomId: room.id, seq: two.seq, emoji: "👍" }); // change 2
  await ok(a, "message:edit", { roomId: room.id, seq: one.seq, text: "one (edited twice)" }); // change 3
  await ok(a, "message:delete", { roomId: room.id, seq: three.seq }); // change 4
  const four = await a.send(room.id, "four");
  await b.open();

  const res = await ok(b, "sync", { rooms: { [room.id]: position } });
  assert.deepEqual(res.messages[room.id].map((m) => m.seq), [four.seq]);
  const changed = res.changed[room.id];
  assert.deepEqual(changed.map((m) => [m.seq, m.change]), [[two.seq, 2], [one.seq, 3], [three.seq, 4]],
    "each changed message once, as it is now, by change");
  assert.equal(changed[1].text, "one (edited twice)");
  assert.equal(changed[0].reactions[0].emoji, "👍");
  assert.equal(changed[2].deleted, true);
  assert.equal(res.more, undefined);
  // From the newest change it holds, nothing more; the ready's room says where the room is.
  const none = await ok(b, "sync", { rooms: { [room.id]: { seq: four.seq, change: 4 } } });
  assert.deepEqual(none.changed[room.id], []);
  assert.equal(b.ready.rooms.find((r) => r.id === room.id).lastChange, 4);
  // The old shape still works and answers as before (new messages only).
  const old = await ok(b, "sync", { rooms: { [room.id]: three.seq } });
  assert.deepEqual(old.messages[room.id].map((m) => m.seq), [four.seq]);
  assert.equal(old.changed, undefined);
});

serverTest(fx, "room:join answers with the room's change number, the current messages and the reader's position", async () => {
  const { a, b } = await setup();
  const lounge = (await ok(a, "room:join", { name: "lounge" })).room;
  assert.equal(lounge.lastChange, 0);
  const sent = await a.send(lounge.id, "hi");
  await a.send(lounge.id, "there");
  await ok(a, "message:edit", { roomId: lounge.id, seq: sent.seq, text: "hi!" });
  const joined = await ok(b, "room:join", { roomId: lounge.id });
  assert.equal(joined.room.lastChange, 1);
  assert.deepEqual(joined.changed, [], "nothing changed while joining");
  assert.equal(joined.messages.find((m) => m.seq === sent.seq).text, "hi!");
  assert.equal(joined.room.readSeq, 2, "what was there before joining is not unread");
  // Outsiders cannot change anything in a public room they have not joined.
  const eve = await connectChat(fx.server, (await account(fx.server, "eve")).cookie, { label: "eve" });
  await refused(eve, "reaction:set", { roomId: lounge.id, seq: sent.seq, emoji: "👍" }, "forbidden");
  await refused(eve, "message:send", { roomId: lounge.id, text: "x", clientId: "eve-1", replyTo: sent.seq }, "forbidden");
});

serverTest(fx, "dm:open answers each of the two with their own read position", async () => {
  const { a, b } = await setup();
  const dm = (await ok(a, "dm:open", { userName: "bob" })).room;
  await a.send(dm.id, "one");
  const two = await a.send(dm.id, "two");
  const again = await ok(a, "dm:open", { userName: "bob" });
  assert.equal(again.room.readSeq, 0, "alice never marked it read");
  await ok(b, "room:read", { roomId: dm.id, seq: two.seq });
  const fromBob = await ok(b, "dm:open", { userName: "alice" });
  assert.equal(fromBob.room.readSeq, two.seq);
  assert.equal(fromBob.room.lastSeq, two.seq);
});

serverTest(fx, "read positions are stored per user and follow them to their other tabs", async () => {
  const { s, alice, a, b, room } = await setup();
  for (let i = 0; i < 3; i++) await b.send(room.id, `m${i}`);
  const a2 = await connectChat(s, alice.cookie, { label: "alice, second tab" });
  const res = await ok(a, "room:read", { roomId: room.id, seq: 2 });
  assert.equal(res.readSeq, 2);
  const told = await a2.waitFor("room:read", (e) => e.roomId === room.id);
  assert.deepEqual(told, { roomId: room.id, readSeq: 2, mentionCount: 0 });
  assert.equal((await ok(a, "room:read", { roomId: room.id, seq: 1 })).readSeq, 2, "never back");
  assert.equal((await ok(a, "room:read", { roomId: room.id, seq: 1e9 })).readSeq, 3, "not past the newest");
  const a3 = await connectChat(s, alice.cookie, { label: "alice, later" });
  const seen = a3.ready.rooms.find((r) => r.id === room.id);
  assert.equal(seen.readSeq, 3);
  assert.equal(seen.lastSeq, 3);
  await refused(a, "room:read", { roomId: room.id }, "bad_request");
  assert.equal(a.all("room:read").length, 0, "the tab that marked is not told");
});
