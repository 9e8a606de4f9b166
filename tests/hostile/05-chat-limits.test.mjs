// What one signed-in user can make the chat hold or do (issue #9): send rate, requests waiting
// on one connection, answers too big to send, rooms, and sessions that were signed out or
// expired but still had live sockets.
import assert from "node:assert/strict";
import { connectChat } from "../lib/chat-client.mjs";
import { account, makePng, multipart, signIn } from "../lib/fixtures.mjs";
import { rawTcp, readAll, request } from "../lib/net.mjs";
import { sleep, until } from "../lib/wait.mjs";
import { heavyText, hostile, RawClient, rawUser } from "./setup.mjs";

hostile("sending faster than the per-user rate is refused with rate_limited and a retry hint", { args: ["--message-rate", "2", "--message-burst", "5"] }, async (s) => {
  const aliceAccount = await account(s, "alice");
  const alice = await connectChat(s, aliceAccount.cookie, { label: "alice" });
  // A second connection of the same user, connected first: signing in takes a password hash,
  // long enough under load for the budget to refill if it came after the flood.
  const tab2 = await connectChat(s, (await signIn(s, "alice", aliceAccount.password)).cookie, { label: "tab2" });
  const general = alice.room("general");
  const results = await Promise.all(
    Array.from({ length: 12 }, (_, i) => alice.ack("message:send", { roomId: general.id, text: `m${i}`, clientId: `rate-${i}` })),
  );
  const ok = results.filter((r) => r.ok);
  const limited = results.filter((r) => r.error === "rate_limited");
  assert.ok(ok.length >= 5 && ok.length <= 6, `${ok.length} accepted (burst 5)`);
  assert.equal(ok.length + limited.length, 12, JSON.stringify(results.filter((r) => !r.ok && r.error !== "rate_limited")));
  assert.ok(limited[0].retryAfterMs > 0 && limited[0].retryAfterMs <= 1000, `retryAfterMs ${limited[0].retryAfterMs}`);
  // The second connection shares the budget.
  assert.equal((await tab2.ack("message:send", { roomId: general.id, text: "x", clientId: "tab2-0" })).error, "rate_limited");
  // After the hint, the same clientId goes through, once.
  await sleep(limited[0].retryAfterMs + 50);
  const again = await alice.ack("message:send", { roomId: general.id, text: "m11", clientId: "rate-11" });
  assert.equal(again.ok, true, JSON.stringify(again));
  const metrics = await request(s, "GET", "/metrics");
  assert.match(metrics.text, /chatd_rate_limited_total [1-9]/);
});

hostile("a connection with too many requests waiting for the store gets overloaded answers", { args: ["--max-pending-per-connection", "4"] }, async (s) => {
  const c = await rawUser(s, "impatient");
  const general = c.ready.rooms.find((r) => r.name === "general");
  // 60 requests in one write: they arrive together, before the first answer.
  const frames = Array.from({ length: 60 }, (_, i) => `42${i + 1}${JSON.stringify(["history", { roomId: general.id }])}`);
  for (const f of frames) c.ws.send(f);
  await until(() => c.acks.size === 60, 10000, "all 60 answers");
  const answers = [...c.acks.values()].map((a) => a[0]);
  const overloaded = answers.filter((a) => a.error === "overloaded");
  assert.ok(overloaded.length >= 40, `${overloaded.length} overloaded answers`);
  assert.ok(overloaded[0].retryAfterMs > 0);
  assert.ok(answers.filter((a) => a.ok).length >= 4);
});

hostile(
  "a sync that would not fit the outbox comes in pages (more), and the client is never dropped as slow",
  { args: ["--max-outbox-bytes", String(1 << 20), "--message-rate", "100000", "--message-burst", "100000"], timeout: 240000 },
  async (s) => {
    const writer = await connectChat(s, (await account(s, "writer")).cookie, { label: "writer" });
    const general = writer.room("general");
    const text = heavyText(4000);
    for (let i = 0; i < 240; i += 20) {
      await Promise.all(Array.from({ length: 20 }, (_, j) => writer.send(general.id, text, `big-${i + j}`)));
    }
    writer.close();
    // ~4 MB of messages: four times this connection's outbox.
    const reader = await rawUser(s, "reader");
    const got = new Set();
    let after = 0;
    let pages = 0;
    for (;;) {
      const res = await reader.ack("sync", { rooms: { [general.id]: after } }, 20000);
      assert.equal(res.ok, true, JSON.stringify(res).slice(0, 200));
      const list = res.messages[general.id] ?? [];
      for (const m of list) got.add(m.seq);
      pages++;
      if (!res.more?.[general.id]) break;
      assert.ok(list.length > 0, "a page with `more` carries messages");
      after = list.at(-1).seq;
    }
    assert.equal(got.size, 240, `${got.size} of 240 messages`);
    assert.ok(pages > 4, `${pages} pages`);
    assert.equal(reader.closed, null, "never disconnected");
    assert.ok(!s.output().includes("cannot keep up"), "nobody was dropped as slow");
    // History pages are bounded the same way.
    const history = await reader.ack("history", { roomId: general.id, limit: 100 }, 20000);
    assert.ok(history.ok && history.messages.length > 0 && history.messages.length < 100, `${history.messages?.length} in a history page`);
    assert.equal(history.messages.at(-1).seq, 240, "the newest come first");
  },
);

hostile("signing out ends that session's live connections, on the spot; other sessions stay", { args: ["--connect-timeout", "2000"] }, async (s) => {
  const first = await account(s, "carol");
  const second = await signIn(s, "carol", first.password);
  const a = new RawClient(s, first.cookie, { label: "session A" });
  await a.open();
  const b = await connectChat(s, second.cookie, { label: "session B" });
  const general = a.ready.rooms.find((r) => r.name === "general");
  const out = await request(s, "DELETE", "/api/session", { cookie: first.cookie });
  assert.equal(out.status, 204);
  await until(() => a.disconnected, 5000, "session A's socket to be disconnected");
  // The signed-out socket can no longer act (what it sends is ignored); the other session can.
  a.emit("message:send", { roomId: general.id, text: "ghost", clientId: "ghost" });
  assert.equal((await b.send(general.id, "still in")).text, "still in");
  const ghost = (await request(s, "GET", `/api/rooms/${general.id}/messages`, { cookie: second.cookie })).json.messages.find((m) => m.text === "ghost");
  assert.equal(ghost, undefined);
  // A client that keeps its transport open without a namespace is closed after the connect timeout.
  await until(() => a.closed, 6000, "the namespace-less transport to be closed");
});

hostile("signing out everywhere ends every session and its connections", {}, async (s) => {
  const first = await account(s, "dave");
  const second = await signIn(s, "dave", first.password);
  const a = new RawClient(s, first.cookie, { label: "A" });
  const b = new RawClient(s, second.cookie, { label: "B" });
  await a.open();
  await b.open();
  const res = await request(s, "DELETE", "/api/sessions", { cookie: first.cookie });
  assert.equal(res.status, 204);
  await until(() => a.disconnected && b.disconnected, 5000, "both sockets disconnected");
  assert.equal((await request(s, "GET", "/api/me", { cookie: first.cookie })).status, 401);
  assert.equal((await request(s, "GET", "/api/me", { cookie: second.cookie })).status, 401);
});

hostile("a session that expires ends its live connection (no HTTP request needed)", { args: ["--session-ttl-hours", "0.001"] }, async (s) => {
  // 3.6 s sessions; the socket makes no HTTP request that could extend its session.
  const { cookie } = await account(s, "erin");
  const c = new RawClient(s, cookie, { label: "erin" });
  await c.open();
  await until(() => c.disconnected, 10000, "the expired session's socket to be disconnected");
  assert.equal((await request(s, "GET", "/api/me", { cookie })).status, 401);
});

hostile("creating public rooms is limited per user per hour", { args: ["--room-creations-per-hour", "3"] }, async (s) => {
  const c = await connectChat(s, (await account(s, "builder")).cookie, { label: "builder" });
  const results = [];
  for (let i = 0; i < 5; i++) results.push(await c.ack("room:join", { name: `new-room-${i}` }));
  assert.deepEqual(results.map((r) => r.ok === true), [true, true, true, false, false]);
  assert.equal(results[3].error, "rate_limited");
  assert.ok(results[3].retryAfterMs > 0);
  // Joining rooms that exist is not creating.
  const other = await connectChat(s, (await account(s, "joiner")).cookie, { label: "joiner" });
  for (let i = 0; i < 3; i++) assert.equal((await other.ack("room:join", { name: `new-room-${i}` })).ok, true);
});

hostile("a user can be in at most CHAT_MAX_ROOMS_PER_USER rooms", { args: ["--max-rooms-per-user", "4"] }, async (s) => {
  const c = await connectChat(s, (await account(s, "collector")).cookie, { label: "collector" });
  // "general" is the first.
  const results = [];
  for (let i = 0; i < 4; i++) results.push(await c.ack("room:join", { name: `r${i}` }));
  assert.deepEqual(results.map((r) => r.ok === true), [true, true, true, false]);
  assert.equal(results[3].error, "too_many_rooms");
  await account(s, "peer");
  assert.equal((await c.ack("dm:open", { userName: "peer" })).error, "too_many_rooms");
  // Leaving one makes room for another.
  assert.equal((await c.ack("room:leave", { roomId: results[0].room.id })).ok, true);
  assert.equal((await c.ack("room:join", { name: "r3" })).ok, true);
});

hostile("GET /api/rooms comes in pages with a cursor", { args: ["--room-creations-per-hour", "1000"] }, async (s) => {
  const { cookie } = await account(s, "lister");
  const c = await connectChat(s, cookie, { label: "lister" });
  for (let i = 0; i < 120; i++) assert.equal((await c.ack("room:join", { name: `room-${String(i).padStart(3, "0")}` })).ok, true);
  const first = await request(s, "GET", "/api/rooms", { cookie });
  assert.equal(first.status, 200);
  assert.equal(first.json.rooms.length, 100);
  assert.equal(typeof first.json.next, "number");
  const rest = await request(s, "GET", `/api/rooms?after=${first.json.next}&limit=100`, { cookie });
  assert.equal(rest.json.rooms.length, 21, "120 rooms and general");
  assert.equal(rest.json.next, null);
  const ids = new Set([...first.json.rooms, ...rest.json.rooms].map((r) => r.id));
  assert.equal(ids.size, 121);
});

/** The options of request() for an empty multipart upload (400 bad_upload when it gets the slot). */
const emptyUpload = (cookie) => ({ cookie, body: "--xyz--\r\n", headers: { "content-type": "multipart/form-data; boundary=xyz" } });

/**
 * Starts an upload to `path` that sends its headers and the start of its body, then stalls with
 * its connection open (the returned socket); resolves once the server has had time to take it.
 */
async function stallUpload(s, cookie, path) {
  const slow = await rawTcp(s);
  slow.on("error", () => {});
  slow.write(
    `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\nCookie: ${cookie}\r\n` +
      "Content-Type: multipart/form-data; boundary=xyz\r\nContent-Length: 1000000\r\n\r\n--xyz\r\n",
  );
  await sleep(300);
  return slow;
}

hostile("one avatar upload at a time per user: a second one while the first is in progress gets 429", {}, async (s) => {
  const { cookie } = await account(s, "painter");
  const slow = await stallUpload(s, cookie, "/api/avatar");
  const second = await request(s, "POST", "/api/avatar", emptyUpload(cookie));
  assert.equal(second.status, 429, second.text);
  assert.equal(second.json.error, "rate_limited");
  assert.ok(Number(second.headers.get("retry-after")) > 0);
  slow.destroy();
  await sleep(300);
  // The slot is free again once the first one is gone.
  const third = await request(s, "POST", "/api/avatar", emptyUpload(cookie));
  assert.equal(third.status, 400, third.text);
});

/**
 * `name` in general with an attachment upload that stalls halfway (stallUpload), checked to hold
 * the user's one upload slot: attachments and avatars get 429. Returns { slow, path, empty }:
 * the stalled connection, the attachment route and an empty upload's request options.
 */
async function stalledAttachmentUpload(s, name) {
  const { cookie } = await account(s, name);
  const c = await connectChat(s, cookie, { label: name });
  const general = c.room("general");
  await c.ack("room:join", { roomId: general.id });
  const path = `/api/rooms/${general.id}/attachments`;
  const slow = await stallUpload(s, cookie, path);
  const empty = emptyUpload(cookie);
  // Avatars and attachments share the slot: one upload at a time per user.
  for (const target of [path, "/api/avatar"]) {
    const second = await request(s, "POST", target, empty);
    assert.equal(second.status, 429, `${target}: ${second.text}`);
    assert.equal(second.json.error, "rate_limited");
  }
  return { slow, path, empty };
}

hostile("an image attachment upload that stalls halfway holds the user's upload slot only while its connection lives", {}, async (s) => {
  const { slow, path, empty } = await stalledAttachmentUpload(s, "photographer");
  slow.destroy();
  // The slot is free again once the stalled one is gone.
  await until(async () => (await request(s, "POST", path, empty)).status === 400, 3000, "the slot to be given back", { every: 100 });
});

/** A new user `name` in general: its cookie and general's attachment route. */
async function uploader(s, name) {
  const { cookie } = await account(s, name);
  const c = await connectChat(s, cookie, { label: name });
  const general = c.room("general");
  await c.ack("room:join", { roomId: general.id });
  return { cookie, path: `/api/rooms/${general.id}/attachments` };
}

const stalledUpload = (s, { cookie, path }) => stallUpload(s, cookie, path);
const emptyForm = emptyUpload;

hostile("an attachment upload that stalls with its connection open is ended by the body pace (16 KiB every 10 s), not after 30 s", { timeout: 60_000 }, async (s) => {
  const started = Date.now();
  const { slow, path, empty } = await stalledAttachmentUpload(s, "sleeper");
  // The stalled upload is never finished and its connection stays open: once a 10 s window has
  // passed without 16 KiB, the server ends it, and the user's slot is free again.
  await until(async () => (await request(s, "POST", path, empty)).status === 400, 20_000, "the body pace to end the stalled upload", { every: 500 });
  const took = Date.now() - started;
  assert.ok(took >= 9_000 && took < 20_000, `ended after ${took} ms`);
  assert.ok(s.running);
  slow.destroy();
});

hostile("a slow link that keeps the pace uploads an image for longer than 30 s", { timeout: 90_000 }, async (s) => {
  const me = await uploader(s, "dialup");
  const png = makePng(300, 5, { noise: true }); // ~270 KB that do not compress
  const { body, contentType } = multipart([{ name: "file", filename: "slow.png", contentType: "image/png", data: png }]);
  const sock = await rawTcp(s);
  const answer = readAll(sock, 80_000);
  sock.write(
    `POST ${me.path} HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\nCookie: ${me.cookie}\r\nConnection: close\r\n` +
      `Content-Type: ${contentType}\r\nContent-Length: ${body.length}\r\n\r\n`,
  );
  // About 8 KiB a second: over 30 s in all, and well above 16 KiB every 10 s.
  const piece = Math.ceil(body.length / 34);
  for (let at = 0; at < body.length; at += piece) {
    sock.write(body.subarray(at, at + piece));
    await sleep(1000);
  }
  const text = await answer;
  assert.match(text, /^HTTP\/1\.1 201 /, text.slice(0, 300));
});

hostile("uploads being read: at most 4 per client address at once (429), whoever the users are", {}, async (s) => {
  const users = [];
  for (let i = 0; i < 5; i++) users.push(await uploader(s, `crowd${i}`));
  const stalled = [];
  for (const u of users.slice(0, 4)) stalled.push(await stalledUpload(s, u));
  await sleep(300);
  const fifth = await request(s, "POST", users[4].path, emptyForm(users[4].cookie));
  assert.equal(fifth.status, 429, fifth.text);
  assert.equal(fifth.json.error, "rate_limited");
  assert.match(fifth.json.message, /address/);
  assert.ok(Number(fifth.headers.get("retry-after")) > 0);
  stalled[0].destroy();
  await until(async () => (await request(s, "POST", users[4].path, emptyForm(users[4].cookie))).status === 400, 3000, "a read slot to be given back", { every: 100 });
  for (const sock of stalled) sock.destroy();
});

hostile("image decodes: fewer at once than the store has workers; one more gets 503 busy, and the chat still answers", { args: ["--store-threads", "2"], timeout: 90_000 }, async (s) => {
  const users = [];
  for (let i = 0; i < 4; i++) users.push(await uploader(s, `painter${i}`));
  const chatter = await account(s, "chatter");
  const chat = await connectChat(s, chatter.cookie, { label: "chatter" });
  const general = chat.room("general");
  // 16 megapixels each: a while to decode and re-encode.
  const big = makePng(4000, 1);
  const results = await Promise.all(
    users.map((u, i) => {
      const { body, contentType } = multipart([{ name: "file", filename: `big${i}.png`, contentType: "image/png", data: big }]);
      return request(s, "POST", u.path, { cookie: u.cookie, body, headers: { "content-type": contentType }, ms: 60_000 });
    }),
  );
  const busy = results.filter((r) => r.status === 503);
  assert.ok(busy.length >= 1, results.map((r) => `${r.status} ${r.text.slice(0, 80)}`).join("; "));
  for (const r of busy) {
    assert.equal(r.json.error, "busy");
    assert.ok(Number(r.headers.get("retry-after")) > 0);
  }
  for (const r of results) assert.ok(r.status === 201 || r.status === 503, `${r.status} ${r.text.slice(0, 200)}`);
  // The busy ones go through when retried.
  for (const [i, r] of results.entries()) {
    if (r.status !== 503) continue;
    const { body, contentType } = multipart([{ name: "file", filename: "again.png", contentType: "image/png", data: big }]);
    const again = await request(s, "POST", users[i].path, { cookie: users[i].cookie, body, headers: { "content-type": contentType }, ms: 60_000 });
    assert.equal(again.status, 201, again.text);
  }
  assert.equal((await chat.ack("message:send", { roomId: general.id, text: "still here", clientId: "c1" })).ok, true);
});
