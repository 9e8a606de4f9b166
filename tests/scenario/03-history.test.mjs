// Scenario 3: a room with 120 messages; the latest page on join, paging backwards over Socket.IO
// and over HTTP, and the page size limits.
import assert from "node:assert/strict";
import { connectChat } from "../lib/chat-client.mjs";
import { serverTest, useChatServer } from "../lib/chat-server.mjs";
import { account } from "../lib/fixtures.mjs";
import { request } from "../lib/net.mjs";

const N = 120;
const ctx = {};

// One room of 120 messages, stored once for every test of this file.
const fx = useChatServer({
  // 120 messages sent at once: over one user's send rate, which this file is not about.
  args: ["--message-rate", "1000", "--message-burst", "1000"],
  setup: async (s) => {
    ctx.alice = await account(s, "alice");
    ctx.bob = await account(s, "bob");
    const a = await connectChat(s, ctx.alice.cookie, { label: "alice" });
    const created = await a.ack("room:join", { name: "history-room" });
    assert.equal(created.ok, true, JSON.stringify(created));
    assert.equal(created.room.kind, "public");
    assert.equal(created.room.name, "history-room");
    assert.deepEqual(created.messages, []);
    ctx.roomId = created.room.id;
    ctx.createdLastSeq = created.room.lastSeq;
    ctx.sent = [];
    for (let i = 0; i < N; i++) ctx.sent.push(await a.send(ctx.roomId, `message ${i}`, `hist-${i}`));
    a.close();
  },
});

function seqs(messages) {
  return messages.map((m) => m.seq);
}

serverTest(fx, "120 messages get consecutive seqs", async () => {
  const first = ctx.sent[0].seq;
  assert.deepEqual(
    seqs(ctx.sent),
    Array.from({ length: N }, (_, i) => first + i),
  );
  assert.equal(first, ctx.createdLastSeq + 1, "the first message follows the new room's lastSeq");
});

serverTest(fx, "room:join returns the latest 50, oldest first", async () => {
  const b = await connectChat(fx.server, ctx.bob.cookie, { label: "bob" });
  const joined = await b.ack("room:join", { roomId: ctx.roomId });
  assert.equal(joined.ok, true, JSON.stringify(joined));
  assert.equal(joined.room.id, ctx.roomId);
  assert.equal(joined.room.lastSeq, ctx.sent[N - 1].seq);
  assert.equal(joined.messages.length, 50);
  assert.deepEqual(joined.messages, ctx.sent.slice(N - 50));
});

serverTest(fx, "history with beforeSeq pages backwards exactly, to the first message", async () => {
  const b = await connectChat(fx.server, ctx.bob.cookie, { label: "bob" });
  const latest = await b.ack("history", { roomId: ctx.roomId });
  assert.equal(latest.ok, true, JSON.stringify(latest));
  assert.deepEqual(latest.messages, ctx.sent.slice(N - 50), "no beforeSeq: the latest 50");

  // Walk back page by page with the oldest seq of the previous page.
  const pages = [];
  let beforeSeq = latest.messages[0].seq;
  for (;;) {
    const page = await b.ack("history", { roomId: ctx.roomId, beforeSeq, limit: 50 });
    assert.equal(page.ok, true, JSON.stringify(page));
    if (page.messages.length === 0) break;
    pages.push(page.messages);
    assert.ok(pages.length <= 3, "paging does not end");
    beforeSeq = page.messages[0].seq;
  }
  assert.deepEqual(pages.map((p) => p.length), [50, 20]);
  assert.deepEqual(pages[0], ctx.sent.slice(20, 70));
  assert.deepEqual(pages[1], ctx.sent.slice(0, 20));
  assert.deepEqual([...pages[1], ...pages[0], ...latest.messages], ctx.sent, "the pages join up without gaps or overlaps");

  const small = await b.ack("history", { roomId: ctx.roomId, beforeSeq: ctx.sent[100].seq, limit: 3 });
  assert.deepEqual(small.messages, ctx.sent.slice(97, 100));
  const one = await b.ack("history", { roomId: ctx.roomId, beforeSeq: ctx.sent[1].seq, limit: 10 });
  assert.deepEqual(one.messages, [ctx.sent[0]]);
});

serverTest(fx, "history clamps the limit to 100", async () => {
  const b = await connectChat(fx.server, ctx.bob.cookie, { label: "bob" });
  const big = await b.ack("history", { roomId: ctx.roomId, limit: 1000 });
  assert.equal(big.ok, true, JSON.stringify(big));
  assert.equal(big.messages.length, 100);
  assert.deepEqual(big.messages, ctx.sent.slice(N - 100));
  const exact = await b.ack("history", { roomId: ctx.roomId, limit: 100 });
  assert.deepEqual(exact.messages, ctx.sent.slice(N - 100));
  const missing = await b.ack("history", { roomId: 987654321, limit: 10 });
  assert.equal(missing.ok, false);
  assert.equal(missing.error, "not_found");
});

serverTest(fx, "GET /api/rooms/{id}/messages returns the same pages with before and limit", async () => {
  const s = fx.server;
  const cookie = ctx.bob.cookie;
  const url = (q = "") => `/api/rooms/${ctx.roomId}/messages${q}`;

  const latest = await request(s, "GET", url(), { cookie });
  assert.equal(latest.status, 200, latest.text);
  assert.match(latest.headers.get("content-type") ?? "", /^application\/json/);
  assert.deepEqual(Object.keys(latest.json), ["messages"]);
  assert.deepEqual(latest.json.messages, ctx.sent.slice(N - 50), "default: the latest 50");

  const page = await request(s, "GET", url(`?before=${ctx.sent[70].seq}&limit=50`), { cookie });
  assert.equal(page.status, 200, page.text);
  assert.deepEqual(page.json.messages, ctx.sent.slice(20, 70));

  const last = await request(s, "GET", url(`?before=${ctx.sent[20].seq}&limit=50`), { cookie });
  assert.deepEqual(last.json.messages, ctx.sent.slice(0, 20));

  const none = await request(s, "GET", url(`?before=${ctx.sent[0].seq}`), { cookie });
  assert.deepEqual(none.json.messages, []);

  const seven = await request(s, "GET", url("?limit=7"), { cookie });
  assert.deepEqual(seven.json.messages, ctx.sent.slice(N - 7));

  const clamped = await request(s, "GET", url("?limit=1000"), { cookie });
  assert.equal(clamped.status, 200, clamped.text);
  assert.equal(clamped.json.messages.length, 100, "limit is clamped to 100");
  assert.deepEqual(clamped.json.messages, ctx.sent.slice(N - 100));

  // The same pages as the socket's history.
  const b = await connectChat(s, cookie, { label: "bob" });
  const viaSocket = await b.ack("history", { roomId: ctx.roomId, beforeSeq: ctx.sent[70].seq, limit: 50 });
  assert.deepEqual(viaSocket.messages, page.json.messages);
});

serverTest(fx, "GET /api/rooms/{id}/messages: 404 for an unknown room, 401 without a session", async () => {
  const s = fx.server;
  const missing = await request(s, "GET", "/api/rooms/987654321/messages", { cookie: ctx.bob.cookie });
  assert.equal(missing.status, 404, missing.text);
  assert.equal(missing.json.error, "not_found");
  const anonymous = await request(s, "GET", `/api/rooms/${ctx.roomId}/messages`);
  assert.equal(anonymous.status, 401, anonymous.text);
  assert.equal(anonymous.json.error, "unauthorized");
  assert.equal(anonymous.json.messages, undefined);
});
