// Scenario 1: two people sign up, sign in again, connect and chat in "general".
import assert from "node:assert/strict";
import { connectChat } from "../lib/chat-client.mjs";
import { serverTest, useChatServer } from "../lib/chat-server.mjs";
import { account, signIn } from "../lib/fixtures.mjs";
import { request } from "../lib/net.mjs";

const fx = useChatServer();

const USER_SHAPE_KEYS = ["avatar", "avatarSmall", "id", "name"];

serverTest(fx, "first sign-in creates the account (201), the next ones sign in (200), names are case-insensitive", async () => {
  const s = fx.server;
  const first = await signIn(s, "alice", "correct horse");
  assert.equal(first.status, 201, first.text);
  assert.equal(first.json.created, true);
  assert.deepEqual(Object.keys(first.json.user).sort(), USER_SHAPE_KEYS);
  assert.equal(first.json.user.name, "alice");
  assert.equal(typeof first.json.user.id, "number");
  assert.equal(first.json.user.avatar, null);
  assert.equal(first.json.user.avatarSmall, null);
  assert.ok(first.cookie, `no chat_session cookie in ${JSON.stringify(first.setCookie)}`);
  const setCookie = first.setCookie.find((c) => c.startsWith("chat_session="));
  assert.match(setCookie, /;\s*HttpOnly/i);
  assert.match(setCookie, /;\s*SameSite=Lax/i);
  assert.match(setCookie, /;\s*Path=\//i);
  assert.doesNotMatch(setCookie, /;\s*Secure/i, "plain HTTP without a TLS proxy: no Secure flag");

  const again = await signIn(s, "alice", "correct horse");
  assert.equal(again.status, 200, again.text);
  assert.notEqual(again.json.created, true);
  assert.deepEqual(again.json.user, first.json.user);
  assert.ok(again.cookie);
  assert.notEqual(again.cookie, first.cookie, "every sign-in gets its own session");

  const capital = await signIn(s, "Alice", "correct horse");
  assert.equal(capital.status, 200, capital.text);
  assert.equal(capital.json.user.id, first.json.user.id);
  assert.equal(capital.json.user.name, "alice");

  // Each cookie identifies alice.
  for (const cookie of [first.cookie, again.cookie, capital.cookie]) {
    const me = await request(s, "GET", "/api/me", { cookie });
    assert.equal(me.status, 200, me.text);
    assert.deepEqual(me.json, { user: first.json.user });
  }

  // A second person.
  const bob = await signIn(s, "bob", "hunter2");
  assert.equal(bob.status, 201, bob.text);
  assert.equal(bob.json.created, true);
  assert.notEqual(bob.json.user.id, first.json.user.id);
});

serverTest(fx, "a wrong password answers 401 bad_credentials and sets no cookie", async () => {
  const s = fx.server;
  await account(s, "dora", "dora-password");
  for (const name of ["dora", "DORA"]) {
    const res = await signIn(s, name, "not-dora-password");
    assert.equal(res.status, 401, res.text);
    assert.equal(res.json.error, "bad_credentials");
    assert.equal(typeof res.json.message, "string");
    assert.equal(res.cookie, null, `a failed sign-in must not set a session: ${JSON.stringify(res.setCookie)}`);
  }
  const me = await request(s, "GET", "/api/me");
  assert.equal(me.status, 401);
  assert.equal(me.json.error, "unauthorized");
});

serverTest(fx, "invalid names answer 400 invalid_name; the limits are 1..32 characters", async () => {
  const s = fx.server;
  const invalid = [
    "",
    "   ",
    "a".repeat(33),
    "é".repeat(33),
    "bad\u0001name",
    "tab\there",
    "new\nline",
    "del\u007fete",
  ];
  for (const name of invalid) {
    const res = await signIn(s, name, "whatever-password");
    assert.equal(res.status, 400, `name ${JSON.stringify(name)}: ${res.text}`);
    assert.equal(res.json.error, "invalid_name", `name ${JSON.stringify(name)}`);
    assert.equal(res.cookie, null);
  }
  // The boundaries are accepted: 32 characters, counted as characters, not bytes.
  for (const name of ["b".repeat(32), "é".repeat(32)]) {
    const res = await signIn(s, name, "whatever-password");
    assert.equal(res.status, 201, `name ${JSON.stringify(name)}: ${res.text}`);
    assert.equal(res.json.user.name, name);
  }
  // The password must not be empty.
  const empty = await signIn(s, "erin", "");
  assert.equal(empty.status, 400, empty.text);
  assert.equal(empty.json.error, "invalid_password");
});

serverTest(fx, "two users connect, get ready with their rooms, and chat in general", async () => {
  const s = fx.server;
  const alice = await account(s, "alice", "correct horse");
  const bob = await account(s, "bob", "hunter2");
  const a = await connectChat(s, alice.cookie, { label: "alice" });
  const b = await connectChat(s, bob.cookie, { label: "bob", transports: ["websocket"] });

  for (const [client, who] of [[a, alice], [b, bob]]) {
    assert.deepEqual(client.ready.user, who.user);
    assert.ok(Array.isArray(client.ready.rooms));
    assert.deepEqual(client.ready.limits, { editWindowMs: 900000, maxReactionKinds: 20, roomMentionMaxMembers: 100 });
    const general = client.room("general");
    assert.ok(general, `${client.label}: no "general" in ${JSON.stringify(client.ready.rooms)}`);
    assert.equal(general.kind, "public");
    assert.equal(general.joined, true);
    assert.equal(general.peer, null);
    assert.equal(typeof general.id, "number");
    assert.equal(typeof general.lastSeq, "number");
  }
  const general = b.room("general");
  assert.equal(a.room("general").id, general.id);

  const before = Date.now();
  const ack = await a.ack("message:send", { roomId: general.id, text: "hello bob", clientId: "c-hello-1" });
  const afterSend = Date.now();
  assert.equal(ack.ok, true, JSON.stringify(ack));
  const m1 = ack.message;
  assert.deepEqual(Object.keys(m1).sort(), ["attachments", "author", "change", "clientId", "createdAt", "deleted", "editedAt", "id", "mentions", "mentionsRoom", "quote", "reactions", "replyTo", "roomId", "seq", "text"]);
  assert.equal(typeof m1.id, "number");
  assert.equal(m1.roomId, general.id);
  assert.equal(m1.seq, general.lastSeq + 1, "the first message after ready has lastSeq + 1");
  assert.deepEqual(m1.author, { id: alice.user.id, name: "alice" });
  assert.equal(m1.text, "hello bob");
  assert.equal(m1.clientId, "c-hello-1");
  assert.ok(
    m1.createdAt >= before - 2000 && m1.createdAt <= afterSend + 2000,
    `createdAt ${m1.createdAt} is not the server's now (${before}..${afterSend})`,
  );

  // Both receive it, identical to the stored message.
  assert.deepEqual(await b.waitFor("message", (m) => m.id === m1.id), m1);
  assert.deepEqual(await a.waitFor("message", (m) => m.id === m1.id), m1);

  const m2 = await b.send(general.id, "hi alice", "c-hi-2");
  assert.equal(m2.seq, m1.seq + 1);
  assert.deepEqual(m2.author, { id: bob.user.id, name: "bob" });
  assert.deepEqual(await a.waitFor("message", (m) => m.id === m2.id), m2);

  const m3 = await a.send(general.id, "how are you?");
  assert.equal(m3.seq, m2.seq + 1);
  assert.ok(m3.id !== m1.id && m3.id !== m2.id);
  assert.deepEqual(await b.waitFor("message", (m) => m.id === m3.id), m3);

  // Each client got each message exactly once, in seq order.
  for (const c of [a, b]) {
    const seen = c.all("message", (m) => m.roomId === general.id).map((m) => m.seq);
    assert.deepEqual(seen, [m1.seq, m2.seq, m3.seq], `${c.label} received ${JSON.stringify(seen)}`);
  }

  // The HTTP view agrees.
  const rooms = await request(s, "GET", "/api/rooms", { cookie: bob.cookie });
  assert.equal(rooms.status, 200, rooms.text);
  const g = rooms.json.rooms.find((r) => r.id === general.id);
  assert.equal(g.name, "general");
  assert.equal(g.kind, "public");
  assert.equal(g.joined, true);
  assert.equal(g.lastSeq, m3.seq);
  const history = await request(s, "GET", `/api/rooms/${general.id}/messages`, { cookie: alice.cookie });
  assert.equal(history.status, 200, history.text);
  assert.deepEqual(history.json.messages.slice(-3), [m1, m2, m3]);
});
