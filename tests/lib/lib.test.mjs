// The harness's own checks of its small parts: the one until/within, the one request(), the
// fixtures, and the test client's room timeline (merging through web/timeline.js).
import assert from "node:assert/strict";
import http from "node:http";
import zlib from "node:zlib";
import { test } from "node:test";
import { cookieValue, crc32, makePng, multipart, sessionCookie } from "./fixtures.mjs";
import { freePort, request } from "./net.mjs";
import { RoomTimeline } from "./room-timeline.mjs";
import { once, sleep, until, within } from "./wait.mjs";

test("until returns the predicate's first truthy value, sync or async", async () => {
  let n = 0;
  assert.equal(await until(() => ++n >= 3 && "done", 1000), "done");
  assert.equal(await until(async () => 42, 1000), 42);
});

test("until: a timeout names what it waited for (a function is asked at the deadline only)", async () => {
  let asked = 0;
  await assert.rejects(until(() => false, 50, () => `thing ${++asked}`), /timed out after 50 ms waiting for thing 1/);
  assert.equal(asked, 1);
});

test("until: an exception from the predicate ends the wait at once", async () => {
  const started = Date.now();
  await assert.rejects(until(() => {
    throw new Error("broken predicate");
  }, 5000), /broken predicate/);
  assert.ok(Date.now() - started < 1000);
});

test("within and once", async () => {
  assert.equal(await within(Promise.resolve(1), 100), 1);
  await assert.rejects(within(sleep(500), 20, "slow thing"), /timed out after 20 ms: slow thing/);
  const server = http.createServer();
  const listening = once(server, "listening", 1000);
  server.listen(0, "127.0.0.1");
  await listening;
  server.close();
  await assert.rejects(once(server, "never", 20), /timed out after 20 ms waiting for "never"/);
});

test("request: JSON both ways, headers with get(), Set-Cookie; a URL or an object with .url", async () => {
  const port = await freePort();
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      res.setHeader("set-cookie", ["chat_session=abc; HttpOnly", "chat_device=dev1"]);
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ method: req.method, type: req.headers["content-type"], cookie: req.headers.cookie, body }));
    });
  });
  await new Promise((r) => server.listen(port, "127.0.0.1", r));
  try {
    const url = `http://127.0.0.1:${port}`;
    const a = await request(url, "POST", "/x", { json: { a: 1 }, cookie: "k=v" });
    assert.equal(a.status, 200);
    assert.deepEqual(a.json, { method: "POST", type: "application/json", cookie: "k=v", body: '{"a":1}' });
    assert.equal(a.headers.get("Content-Type"), "application/json");
    assert.equal(a.headers["content-type"], "application/json");
    assert.equal(a.headers.get("x-missing"), null);
    assert.equal(sessionCookie(a.setCookie), "chat_session=abc");
    assert.equal(cookieValue(a.setCookie, "chat_device"), "dev1");
    const b = await request({ url }, "GET", "/y");
    assert.equal(b.json.method, "GET");
  } finally {
    server.close();
  }
  await assert.rejects(request(`http://127.0.0.1:${port}`, "GET", "/"), /GET http:\/\/127\.0\.0\.1:\d+\/: .*ECONNREFUSED/);
});

test("makePng is a valid PNG; multipart carries its parts", () => {
  assert.equal(crc32(Buffer.from("IEND")), 0xae426082);
  const png = makePng(4, 1);
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const idatLength = png.readUInt32BE(33);
  assert.equal(png.subarray(37, 41).toString("ascii"), "IDAT");
  assert.equal(zlib.inflateSync(png.subarray(41, 41 + idatLength)).length, 4 * (1 + 4 * 3));
  const { body, contentType } = multipart([{ name: "avatar", filename: "a.png", contentType: "image/png", data: png }]);
  const boundary = /boundary=(.+)$/.exec(contentType)[1];
  const text = body.toString("latin1");
  assert.ok(text.startsWith(`--${boundary}\r\nContent-Disposition: form-data; name="avatar"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`));
  assert.ok(text.endsWith(`\r\n--${boundary}--\r\n`));
});

const message = (seq, text = `m${seq}`) => ({ id: seq * 10, roomId: 7, seq, author: { id: 1, name: "a" }, text, createdAt: 1, clientId: null });

test("room timeline: live messages, gaps, duplicates, conflicts and sync positions", () => {
  const t = new RoomTimeline(7, 0);
  assert.deepEqual(t.addLive(message(1)), { conflict: null, gap: false });
  assert.deepEqual(t.addLive(message(3)), { conflict: null, gap: true }, "seq 2 is missing");
  assert.equal(t.syncFrom(), 1);
  assert.deepEqual(t.addLive(message(1)), { conflict: null, gap: false }, "held already: ignored");
  const answer = { ok: true, messages: { 7: [message(2), message(3, "something else")] } };
  const { conflicts, more } = t.addSynced(answer, { 7: 1 });
  assert.equal(conflicts.length, 1, "two different messages under seq 3");
  assert.equal(more, false);
  assert.deepEqual(t.seqs(), [1, 2, 3]);
  assert.equal(t.syncFrom(), 3);
  assert.deepEqual(t.get(2), message(2), "held as the server sent it");
  const full = Array.from({ length: 500 }, (_, i) => message(i + 4));
  assert.equal(t.addSynced({ ok: true, messages: { 7: full } }, { 7: 3 }).more, true, "a full page: ask again");
  assert.equal(t.syncFrom(), 503);
});

test("room timeline: changes apply in order, never undo a newer copy, and a jump asks sync from the number held", () => {
  const t = new RoomTimeline(7, 0);
  for (const seq of [1, 2]) t.addLive(message(seq));
  assert.deepEqual(t.syncWant(), { seq: 2, change: 0 });
  const edited = { ...message(1, "m1 edited"), change: 1 };
  assert.deepEqual(t.addChanged({ roomId: 7, change: 1, message: edited }), { syncFrom: null });
  assert.equal(t.lastChange, 1);
  assert.equal(t.get(1).text, "m1 edited", "the raw copy follows the change");
  // Change 3 before 2: applied, and a sync from 1 is wanted.
  const reacted = { ...message(2), change: 3, reactions: [{ emoji: "👍", count: 1, users: [{ id: 1, name: "a" }] }] };
  assert.deepEqual(t.addChanged({ roomId: 7, change: 3, message: reacted }), { syncFrom: 1 });
  assert.equal(t.lastChange, 1);
  // A late copy older than the one held changes nothing.
  t.addChanged({ roomId: 7, change: 2, message: { ...message(2), change: 2 } });
  assert.equal(t.get(2).change, 3);
  assert.equal(t.addChanged({ roomId: 8, change: 4, message: { ...edited, roomId: 8 } }).syncFrom, null, "another room's");
  // The sync answer's changed list brings the number up to its highest.
  const deleted = { ...message(1, ""), deleted: true, change: 2 };
  const res = { ok: true, messages: { 7: [] }, changed: { 7: [deleted, reacted] } };
  assert.equal(t.addSynced(res, { 7: t.syncWant() }).more, false);
  assert.equal(t.lastChange, 3);
  assert.equal(t.get(1).deleted, true);
  assert.deepEqual(t.syncWant(), { seq: 2, change: 3 });
});

test("room timeline followed from a seq ignores older messages and malformed ones", () => {
  const t = new RoomTimeline(7, 10);
  t.addLive(message(5));
  t.addLive({ roomId: 7, seq: "x", text: 1 });
  assert.equal(t.size, 0);
  assert.equal(t.addLive(message(12)).gap, true);
  assert.equal(t.syncFrom(), 10);
  assert.equal(t.addSynced({ ok: true, messages: { 7: [message(11)] } }, { 7: 10 }).more, false);
  assert.equal(t.syncFrom(), 12);
});
