// Scenario 6: a client that resends a message (lost ack, reconnect) with the same clientId gets
// the stored message back, and nobody sees it twice.
import assert from "node:assert/strict";
import { aliceAndBob, connectChat } from "../lib/chat-client.mjs";
import { serverTest, useChatServer } from "../lib/chat-server.mjs";
import { request } from "../lib/net.mjs";
import { sleep } from "../lib/wait.mjs";

const fx = useChatServer();

async function setup() {
  const s = fx.server;
  return { s, ...(await aliceAndBob(s, { transports: ["websocket"] })) };
}

/** Sends a barrier message from `from` and waits until every client in `to` has it. */
async function barrier(from, to, roomId) {
  const m = await from.send(roomId, "barrier");
  for (const c of to) await c.waitFor("message", (x) => x.id === m.id);
  await sleep(100);
  return m;
}

serverTest(fx, "sending twice with the same clientId stores and broadcasts once", async () => {
  const { s, alice, a, b, general } = await setup();
  const payload = { roomId: general.id, text: "only once, please", clientId: "dup-1" };
  const first = await a.ack("message:send", payload);
  const second = await a.ack("message:send", payload);
  assert.equal(first.ok, true, JSON.stringify(first));
  assert.equal(second.ok, true, JSON.stringify(second));
  assert.deepEqual(second.message, first.message, "the resend is answered with the stored message");
  assert.equal(second.message.id, first.message.id);
  assert.equal(second.message.seq, first.message.seq);

  const next = await barrier(a, [a, b], general.id);
  assert.equal(next.seq, first.message.seq + 1, "the duplicate used no seq");
  for (const c of [a, b]) {
    const got = c.all("message", (m) => m.id === first.message.id);
    assert.equal(got.length, 1, `${c.label} received the message ${got.length} times`);
    assert.deepEqual(got[0], first.message);
  }
  const stored = await request(s, "GET", `/api/rooms/${general.id}/messages`, { cookie: alice.cookie });
  assert.equal(stored.json.messages.filter((m) => m.clientId === "dup-1").length, 1);
});

serverTest(fx, "a resend from another connection of the same user (after a reconnect) is also deduplicated", async () => {
  const { alice, a, b, general } = await setup();
  const first = await a.ack("message:send", { roomId: general.id, text: "sent before the drop", clientId: "dup-2" });
  assert.equal(first.ok, true, JSON.stringify(first));
  const a2 = await connectChat(fx.server, alice.cookie, { label: "alice (second connection)" });
  const again = await a2.ack("message:send", { roomId: general.id, text: "sent before the drop", clientId: "dup-2" });
  assert.equal(again.ok, true, JSON.stringify(again));
  assert.deepEqual(again.message, first.message);
  await barrier(a, [a, a2, b], general.id);
  assert.equal(b.all("message", (m) => m.clientId === "dup-2").length, 1);
  assert.equal(a2.all("message", (m) => m.clientId === "dup-2").length, 0, "a2 connected after the original was sent");
});

serverTest(fx, "two concurrent sends with the same clientId: one stored message, one broadcast", async () => {
  const { a, b, general } = await setup();
  const payload = { roomId: general.id, text: "racing resend", clientId: "dup-3" };
  const [x, y] = await Promise.all([a.ack("message:send", payload), a.ack("message:send", payload)]);
  assert.equal(x.ok, true, JSON.stringify(x));
  assert.equal(y.ok, true, JSON.stringify(y));
  assert.deepEqual(x.message, y.message);
  const next = await barrier(a, [a, b], general.id);
  assert.equal(next.seq, x.message.seq + 1);
  assert.equal(b.all("message", (m) => m.clientId === "dup-3").length, 1);
  assert.equal(a.all("message", (m) => m.clientId === "dup-3").length, 1);
});

serverTest(fx, "the same clientId from another user is a different message", async () => {
  const { a, b, general } = await setup();
  const mine = await a.send(general.id, "alice's", "shared-id");
  const theirs = await b.send(general.id, "bob's", "shared-id");
  assert.notEqual(theirs.id, mine.id);
  assert.equal(theirs.seq, mine.seq + 1);
  assert.equal(theirs.text, "bob's");
  await a.waitFor("message", (m) => m.id === theirs.id);
});

serverTest(fx, "messages without a clientId are never deduplicated", async () => {
  const { a, b, general } = await setup();
  const one = await a.ack("message:send", { roomId: general.id, text: "same text" });
  const two = await a.ack("message:send", { roomId: general.id, text: "same text" });
  assert.equal(one.ok, true, JSON.stringify(one));
  assert.equal(two.ok, true, JSON.stringify(two));
  assert.notEqual(one.message.id, two.message.id);
  assert.equal(two.message.seq, one.message.seq + 1);
  await b.waitFor("message", (m) => m.id === two.message.id);
  assert.equal(b.all("message", (m) => m.id === one.message.id).length, 1);
});
