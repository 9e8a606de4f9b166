// Scenario 10: signing out ends the session everywhere it is used.
import assert from "node:assert/strict";
import { connectChat, connectError } from "../lib/chat-client.mjs";
import { serverTest, useChatServer } from "../lib/chat-server.mjs";
import { account, signIn } from "../lib/fixtures.mjs";
import { request } from "../lib/net.mjs";

const fx = useChatServer();

serverTest(fx, "DELETE /api/session: 204, the cookie is cleared and no longer works for HTTP or Socket.IO", async () => {
  const s = fx.server;
  const alice = await account(s, "alice", "alice-password");
  const other = await signIn(s, "alice", "alice-password"); // a second session (another device)
  assert.equal(other.status, 200, other.text);

  // Works before.
  assert.equal((await request(s, "GET", "/api/me", { cookie: alice.cookie })).status, 200);
  const before = await connectChat(s, alice.cookie, { label: "alice before sign-out" });
  assert.equal(before.ready.user.id, alice.user.id);
  before.close();

  const out = await request(s, "DELETE", "/api/session", { cookie: alice.cookie });
  assert.equal(out.status, 204, out.text);
  assert.equal(out.text, "");
  const cleared = out.setCookie.find((c) => c.startsWith("chat_session="));
  assert.ok(cleared, `no Set-Cookie clearing chat_session: ${JSON.stringify(out.setCookie)}`);
  assert.match(cleared, /^chat_session=;|^chat_session=""/, `the cookie value is emptied: ${cleared}`);
  assert.match(cleared, /Max-Age=0|Expires=Thu, 01 Jan 1970/i, `the cookie expires now: ${cleared}`);
  assert.match(cleared, /Path=\//i);

  const me = await request(s, "GET", "/api/me", { cookie: alice.cookie });
  assert.equal(me.status, 401, me.text);
  assert.equal(me.json.error, "unauthorized");
  const rooms = await request(s, "GET", "/api/rooms", { cookie: alice.cookie });
  assert.equal(rooms.status, 401, rooms.text);
  assert.equal(await connectError(s, alice.cookie), "unauthorized");
  assert.equal(await connectError(s, alice.cookie, { transports: ["websocket"] }), "unauthorized");

  // Only that session ended: the other device is still signed in.
  const otherMe = await request(s, "GET", "/api/me", { cookie: other.cookie });
  assert.equal(otherMe.status, 200, otherMe.text);
  const c = await connectChat(s, other.cookie, { label: "alice on the other device" });
  assert.equal(c.ready.user.id, alice.user.id);

  // Signing out twice, or without a session, is harmless.
  const again = await request(s, "DELETE", "/api/session", { cookie: alice.cookie });
  assert.equal(again.status, 204, again.text);
  const anonymous = await request(s, "DELETE", "/api/session");
  assert.equal(anonymous.status, 204, anonymous.text);

  // Signing in again works and gives a new, working session.
  const back = await signIn(s, "alice", "alice-password");
  assert.equal(back.status, 200, back.text);
  assert.notEqual(back.cookie, alice.cookie);
  assert.equal((await request(s, "GET", "/api/me", { cookie: back.cookie })).status, 200);
});

serverTest(fx, "GET /api/session is not a way to sign out or in", async () => {
  const s = fx.server;
  const alice = await account(s, "alice", "alice-password");
  const res = await request(s, "GET", "/api/session", { cookie: alice.cookie });
  assert.ok(res.status === 405 || res.status === 404, `GET /api/session: ${res.status}`);
  assert.equal((await request(s, "GET", "/api/me", { cookie: alice.cookie })).status, 200);
});
