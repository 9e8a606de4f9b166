// Scenario 4: everything survives a server restart on the same files: accounts (same password),
// sessions (the old cookie), rooms and messages (same ids and seqs).
import assert from "node:assert/strict";
import { connectChat } from "../lib/chat-client.mjs";
import { serverTest, useChatServer } from "../lib/chat-server.mjs";
import { account, signIn } from "../lib/fixtures.mjs";
import { request } from "../lib/net.mjs";

const fx = useChatServer();

serverTest(fx, "accounts, sessions and history survive SIGTERM and a restart on the same database", async () => {
  const s = fx.server;
  const alice = await account(s, "alice", "alice-pw-1");
  const bob = await account(s, "bob", "bob-pw-2");
  const a = await connectChat(s, alice.cookie, { label: "alice" });
  const b = await connectChat(s, bob.cookie, { label: "bob" });
  const general = a.room("general");
  const sentGeneral = [];
  for (let i = 0; i < 3; i++) sentGeneral.push(await a.send(general.id, `before restart ${i}`, `restart-g-${i}`));
  const dm = (await a.ack("dm:open", { userName: "bob" })).room;
  const sentDm = [await a.send(dm.id, "dm one", "restart-d-0"), await b.send(dm.id, "dm two", "restart-d-1")];
  const room = await b.ack("room:join", { name: "persisted-room" });
  assert.equal(room.ok, true, JSON.stringify(room));
  const sentRoom = await b.send(room.room.id, "in my own room", "restart-r-0");
  const generalBefore = await request(s, "GET", `/api/rooms/${general.id}/messages`, { cookie: bob.cookie });
  assert.equal(generalBefore.status, 200);
  a.close();
  b.close();

  await s.restart(); // asserts the SIGTERM exit was clean (code 0, no sanitizer report)

  // The old session cookies still work.
  for (const who of [alice, bob]) {
    const me = await request(s, "GET", "/api/me", { cookie: who.cookie });
    assert.equal(me.status, 200, `old cookie of ${who.user.name} after restart: ${me.status} ${me.text}`);
    assert.deepEqual(me.json.user, who.user);
  }
  const a2 = await connectChat(s, alice.cookie, { label: "alice after restart" });
  assert.deepEqual(a2.ready.user, alice.user);
  assert.equal(a2.room("general").id, general.id);
  assert.equal(a2.room("general").lastSeq, sentGeneral[2].seq);
  const dmInReady = a2.ready.rooms.find((r) => r.id === dm.id);
  assert.equal(dmInReady?.kind, "direct", `the DM is in alice's ready after the restart: ${JSON.stringify(a2.ready.rooms)}`);
  assert.equal(dmInReady?.lastSeq, sentDm[1].seq);

  // Signing in again with the same password signs in (200), does not create a new account.
  const again = await signIn(s, "alice", "alice-pw-1");
  assert.equal(again.status, 200, again.text);
  assert.notEqual(again.json.created, true);
  assert.deepEqual(again.json.user, alice.user);
  const wrong = await signIn(s, "alice", "alice-pw-WRONG");
  assert.equal(wrong.status, 401, wrong.text);
  assert.equal(wrong.json.error, "bad_credentials");

  // Messages: same ids, seqs, texts, authors and times.
  const joined = await a2.ack("room:join", { roomId: general.id });
  assert.equal(joined.ok, true, JSON.stringify(joined));
  assert.deepEqual(joined.messages, sentGeneral);
  const generalAfter = await request(s, "GET", `/api/rooms/${general.id}/messages`, { cookie: bob.cookie });
  assert.deepEqual(generalAfter.json, generalBefore.json);
  const dmAfter = await request(s, "GET", `/api/rooms/${dm.id}/messages`, { cookie: bob.cookie });
  assert.equal(dmAfter.status, 200, dmAfter.text);
  assert.deepEqual(dmAfter.json.messages, sentDm);
  const roomAfter = await a2.ack("history", { roomId: room.room.id });
  assert.deepEqual(roomAfter.messages, [sentRoom]);

  // Idempotency keys survive too: resending a pre-restart clientId returns the stored message.
  const resent = await a2.ack("message:send", { roomId: general.id, text: "before restart 2", clientId: "restart-g-2" });
  assert.equal(resent.ok, true, JSON.stringify(resent));
  assert.deepEqual(resent.message, sentGeneral[2]);

  // New messages continue the sequence.
  const b2 = await connectChat(s, bob.cookie, { label: "bob after restart" });
  const next = await a2.send(general.id, "after restart", "restart-g-3");
  assert.equal(next.seq, sentGeneral[2].seq + 1);
  assert.ok(!sentGeneral.some((m) => m.id === next.id), "a new message gets a new id");
  assert.deepEqual(await b2.waitFor("message", (m) => m.id === next.id), next);
  const nextDm = await b2.send(dm.id, "dm three", "restart-d-2");
  assert.equal(nextDm.seq, sentDm[1].seq + 1);
  assert.deepEqual(await a2.waitFor("message", (m) => m.id === nextDm.id), nextDm);
});
