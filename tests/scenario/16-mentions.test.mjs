// Scenario 16: mentions (issue #13). @name, @[name with spaces] and @room reach the members they
// name (Message.mentions, Message.mentionsRoom) and count as unread mentions per room
// (Room.mentionCount in ready, room:join and room:read's answers) until read; a mention of
// someone who cannot read the room notifies nobody; edits replace mentions and deletes clear
// them; room:members offers @-completion to those who may read the room only.
import assert from "node:assert/strict";
import { connectChat, ok } from "../lib/chat-client.mjs";
import { serverTest, useChatServer } from "../lib/chat-server.mjs";
import { account } from "../lib/fixtures.mjs";

// @room reaches everyone only in rooms of at most 3 members here.
const fx = useChatServer({ args: ["--log-level", "info", "--room-mention-max-members", "3"] });

/** Users named `${tag}…` connected; alice, "bob <tag>" and carol in a public room; eve outside it. */
async function setup(tag) {
  const s = fx.server;
  const names = { alice: `alice${tag}`, bob: `bob ${tag}`, carol: `carol${tag}`, eve: `eve${tag}` };
  const users = {};
  for (const [key, name] of Object.entries(names)) {
    const acc = await account(s, name);
    users[key] = { id: acc.user.id, cookie: acc.cookie, name, client: await connectChat(s, acc.cookie, { label: key }) };
  }
  const room = (await ok(users.alice.client, "room:join", { name: `mentions ${tag}` })).room;
  for (const key of ["bob", "carol"]) await ok(users[key].client, "room:join", { roomId: room.id });
  return { ...users, room };
}

async function mentionCount(client, roomId) {
  const again = await ok(client, "room:join", { roomId });
  return again.room.mentionCount;
}

serverTest(fx, "a mention names members only, reaches them live and counts as unread until read", async () => {
  const { alice, bob, carol, eve, room } = await setup("m1");
  const sent = await alice.client.send(room.id, `hey @[${bob.name}] and @${eve.name}, see @${carol.name}.`);
  assert.deepEqual(sent.mentions, [bob.id, carol.id].sort((x, y) => x - y), "eve is not in the room");
  assert.equal(sent.mentionsRoom, false);
  const live = await bob.client.waitFor("message", (m) => m.roomId === room.id && m.seq === sent.seq);
  assert.deepEqual(live.mentions, sent.mentions);
  assert.equal(await mentionCount(bob.client, room.id), 1);
  assert.equal(await mentionCount(alice.client, room.id), 0, "the author is never mentioned");
  // eve has no trace of it: no message, no count in any room of hers.
  assert.equal(eve.client.all("message", (m) => m.roomId === room.id).length, 0);
  // Reading up to it clears it; the user's other tab hears the new count.
  const other = await connectChat(fx.server, bob.cookie, { label: "bob tab 2" });
  const readyRoom = other.ready.rooms.find((r) => r.id === room.id);
  assert.equal(readyRoom.mentionCount, 1, "ready carries the count");
  const read = await ok(bob.client, "room:read", { roomId: room.id, seq: sent.seq });
  assert.equal(read.mentionCount, 0);
  const told = await other.waitFor("room:read", (r) => r.roomId === room.id);
  assert.equal(told.mentionCount, 0);
  other.close();
});

serverTest(fx, "@room mentions every member but the author, only in rooms within the limit", async () => {
  const { alice, bob, carol, eve, room } = await setup("m2");
  const all = await alice.client.send(room.id, "@room standup in 5");
  assert.equal(all.mentionsRoom, true);
  assert.equal(await mentionCount(bob.client, room.id), 1);
  assert.equal(await mentionCount(carol.client, room.id), 1);
  // A fourth member makes the room larger than the limit (3): @room is plain text there.
  await ok(eve.client, "room:join", { roomId: room.id });
  const none = await alice.client.send(room.id, "@room anyone?");
  assert.equal(none.mentionsRoom, false);
  assert.equal(await mentionCount(eve.client, room.id), 0);
  assert.equal(await mentionCount(bob.client, room.id), 1);
});

serverTest(fx, "a mention in a conversation of others notifies nobody; edits replace mentions, deletes clear them", async () => {
  const { alice, bob, carol, room } = await setup("m3");
  const dm = (await ok(alice.client, "dm:open", { userName: bob.name })).room;
  const secret = await alice.client.send(dm.id, `@${carol.name} must not know`);
  assert.deepEqual(secret.mentions, [], "carol cannot read the conversation");
  assert.ok(!carol.client.ready.rooms.some((r) => r.id === dm.id));
  // Edits: who the new text names.
  const m = await alice.client.send(room.id, `ping @${carol.name}`);
  assert.equal(await mentionCount(carol.client, room.id), 1);
  const edited = await ok(alice.client, "message:edit", { roomId: room.id, seq: m.seq, text: `ping @[${bob.name}]` });
  assert.deepEqual(edited.message.mentions, [bob.id]);
  const changed = await carol.client.waitFor("message:changed", (c) => c.roomId === room.id && c.message.seq === m.seq);
  assert.deepEqual(changed.message.mentions, [bob.id]);
  assert.equal(await mentionCount(carol.client, room.id), 0);
  assert.equal(await mentionCount(bob.client, room.id), 1);
  const gone = await ok(alice.client, "message:delete", { roomId: room.id, seq: m.seq });
  assert.deepEqual(gone.message.mentions, []);
  assert.equal(await mentionCount(bob.client, room.id), 0);
});

serverTest(fx, "room:members completes names of a room's members, for its members only", async () => {
  const { alice, bob, carol, eve, room } = await setup("m4");
  const found = await ok(alice.client, "room:members", { roomId: room.id, prefix: "BOB" });
  assert.deepEqual(found.members.map((u) => u.name), [bob.name]);
  assert.equal(found.members[0].id, bob.id);
  const every = await ok(alice.client, "room:members", { roomId: room.id, prefix: "" });
  assert.deepEqual(every.members.map((u) => u.name).sort(), [alice.name, bob.name, carol.name].sort());
  assert.deepEqual((await ok(alice.client, "room:members", { roomId: room.id, prefix: "bob", limit: 1 })).members.length, 1);
  assert.deepEqual((await ok(alice.client, "room:members", { roomId: room.id, prefix: "zz" })).members, []);
  // Who is in a room is for its members: eve, not in it, gets nothing, even for a public room.
  const outsider = await eve.client.ack("room:members", { roomId: room.id, prefix: "a" });
  assert.equal(outsider.error, "forbidden");
  assert.ok(!JSON.stringify(outsider).includes(alice.name));
  const dm = (await ok(alice.client, "dm:open", { userName: bob.name })).room;
  assert.deepEqual((await ok(bob.client, "room:members", { roomId: dm.id, prefix: "" })).members.map((u) => u.id).sort(),
    [alice.id, bob.id].sort());
  const refused = await eve.client.ack("room:members", { roomId: dm.id, prefix: "" });
  assert.equal(refused.ok, false);
  assert.equal(refused.error, "forbidden");
  assert.equal((await eve.client.ack("room:members", { roomId: 999999, prefix: "" })).error, "not_found");
  assert.equal((await eve.client.ack("room:members", { prefix: "" })).error, "bad_request");
  assert.equal((await eve.client.ack("room:members", { roomId: room.id, prefix: "x".repeat(200) })).error, "bad_request");
});
