// Scenario 17: image attachments (issue #13). An image is uploaded to a room
// (POST /api/rooms/{id}/attachments), re-encoded to WebP without metadata with a thumbnail, and
// sent with message:send's "attachments"; GET /api/attachments/{id}[/thumb] serves it to its
// uploader until sent, then to whoever may read its room, and 404 to everyone else. Limits:
// bytes per upload, pixels, attachments per message, unsent uploads per user, expiry.
import assert from "node:assert/strict";
import http from "node:http";
import { connectChat } from "../lib/chat-client.mjs";
import { serverTest, useChatServer } from "../lib/chat-server.mjs";
import { account, crc32, makePng, multipart, walk } from "../lib/fixtures.mjs";
import { rawUpload, request } from "../lib/net.mjs";
import { until } from "../lib/wait.mjs";

const MAX_BYTES = 400_000;
const MAX_UNSENT = 6;
const TTL_S = 12;
const fx = useChatServer({
  args: [
    "--log-level", "info",
    "--max-attachment-bytes", String(MAX_BYTES),
    "--max-unsent-attachments", String(MAX_UNSENT),
    "--attachment-ttl", String(TTL_S),
  ],
});
const ID = /^[A-Za-z0-9_-]{22}$/;
const SECRET = "GPS-SECRET-48.8584N-2.2945E";

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** makePng(size) with an eXIf chunk (a TIFF header, an empty IFD, and SECRET) and a tEXt comment. */
function pngWithMetadata(size) {
  const png = makePng(size, 3);
  const iend = png.length - 12;
  const tiff = Buffer.concat([Buffer.from([0x4d, 0x4d, 0x00, 0x2a, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0]), Buffer.from(SECRET, "latin1")]);
  const text = Buffer.from(`Comment\0${SECRET}`, "latin1");
  return Buffer.concat([png.subarray(0, iend), chunk("eXIf", tiff), chunk("tEXt", text), png.subarray(iend)]);
}

/** A PNG whose header claims `w` x `h` pixels (its data is a few bytes). */
function pngClaiming(w, h) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const png = makePng(1);
  return Buffer.concat([png.subarray(0, 8), chunk("IHDR", ihdr), png.subarray(8 + 25)]);
}

/** Width and height of a WebP (VP8, VP8L or VP8X). */
function webpSize(buf) {
  const kind = buf.subarray(12, 16).toString("latin1");
  if (kind === "VP8X") return [1 + buf.readUIntLE(24, 3), 1 + buf.readUIntLE(27, 3)];
  if (kind === "VP8L") {
    const b = buf.readUInt32LE(21);
    return [(b & 0x3fff) + 1, ((b >>> 14) & 0x3fff) + 1];
  }
  assert.equal(kind, "VP8 ");
  return [buf.readUInt16LE(26) & 0x3fff, buf.readUInt16LE(28) & 0x3fff];
}

function riffChunks(buf) {
  const ids = [];
  for (let pos = 12; pos + 8 <= buf.length; ) {
    ids.push(buf.subarray(pos, pos + 4).toString("latin1"));
    const len = buf.readUInt32LE(pos + 4);
    pos += 8 + len + (len & 1);
  }
  return ids;
}

function upload(cookie, roomId, data, { name = "file", filename = "photo.png" } = {}) {
  const { body, contentType } = multipart([{ name, filename, contentType: "image/png", data }]);
  return request(fx.server, "POST", `/api/rooms/${roomId}/attachments`, { cookie, body, headers: { "content-type": contentType } });
}

async function uploaded(cookie, roomId, data) {
  const res = await upload(cookie, roomId, data);
  assert.equal(res.status, 201, res.text);
  return res.json.attachment;
}

const fetchImage = (cookie, url) => request(fx.server, "GET", url, { cookie });

async function ok(client, event, payload) {
  const res = await client.ack(event, payload);
  assert.equal(res?.ok, true, `${client.label}: ${event} ${JSON.stringify(payload)} -> ${JSON.stringify(res)}`);
  return res;
}

/** Users `${tag}…` connected; alice and bob in a public room, carol not. */
async function setup(tag) {
  const users = {};
  for (const key of ["alice", "bob", "carol"]) {
    const acc = await account(fx.server, `${key}${tag}`);
    users[key] = { id: acc.user.id, cookie: acc.cookie, client: await connectChat(fx.server, acc.cookie, { label: key }) };
  }
  const room = (await ok(users.alice.client, "room:join", { name: `pictures ${tag}` })).room;
  await ok(users.bob.client, "room:join", { roomId: room.id });
  return { ...users, room };
}

serverTest(fx, "an uploaded PNG is served as WebP without its metadata, with a thumbnail, to its uploader only until sent", async () => {
  const { alice, bob, room } = await setup("a1");
  const att = await uploaded(alice.cookie, room.id, pngWithMetadata(600));
  assert.match(att.id, ID);
  assert.deepEqual(att, {
    id: att.id, url: `/api/attachments/${att.id}`, thumbUrl: `/api/attachments/${att.id}/thumb`,
    width: 600, height: 600, thumbWidth: 400, thumbHeight: 400, bytes: att.bytes, type: "image/webp",
  });
  for (const [url, size] of [[att.url, 600], [att.thumbUrl, 400]]) {
    const img = await fetchImage(alice.cookie, url);
    assert.equal(img.status, 200, img.text.slice(0, 200));
    assert.equal(img.headers.get("content-type"), "image/webp");
    assert.equal(img.headers.get("x-content-type-options"), "nosniff");
    assert.equal(img.headers.get("cache-control"), "private, max-age=31536000, immutable");
    assert.equal(img.headers.get("content-disposition"), "inline");
    assert.match(img.headers.get("content-security-policy") ?? "", /default-src 'none'/);
    assert.equal(img.buffer.subarray(0, 4).toString("latin1"), "RIFF");
    assert.equal(img.buffer.subarray(8, 12).toString("latin1"), "WEBP");
    assert.deepEqual(webpSize(img.buffer), [size, size]);
    for (const id of riffChunks(img.buffer)) assert.ok(!["EXIF", "XMP ", "ICCP"].includes(id), `${url} has ${id}`);
    assert.equal(img.buffer.indexOf(SECRET), -1, `${url} still carries the metadata`);
    if (url === att.url) assert.equal(img.buffer.length, att.bytes);
  }
  // Not sent yet: nobody else sees it, not even a member of the room; no session: 401.
  assert.equal((await fetchImage(bob.cookie, att.url)).status, 404);
  assert.equal((await fetchImage(bob.cookie, att.thumbUrl)).status, 404);
  const anonymous = await fetchImage(undefined, att.url);
  assert.equal(anonymous.status, 401);
  assert.equal(anonymous.json.error, "unauthorized");
  // Unknown and malformed ids are the same 404.
  for (const url of ["/api/attachments/AAAAAAAAAAAAAAAAAAAAAA", "/api/attachments/x", `/api/attachments/${att.id}/other`,
    `/api/attachments/${att.id}/thumb/x`, "/api/attachments/"]) {
    const res = await fetchImage(alice.cookie, url);
    assert.equal(res.status, 404, url);
    assert.equal(res.json.error, "not_found", url);
  }
  // The avatar route never serves attachment blobs, whatever name one tries.
  const files = walk(fx.server.uploadDir).filter((e) => !e.dir).map((e) => e.path);
  const attachmentFiles = files.filter((p) => p.startsWith("att/"));
  assert.ok(attachmentFiles.length >= 2, JSON.stringify(files));
  for (const p of attachmentFiles) {
    const hash = p.slice(4).replace("/", "");
    assert.match(hash, /^[0-9a-f]{64}$/);
    assert.equal((await request(fx.server, "GET", `/avatars/${hash}.webp`)).status, 404);
    assert.equal((await request(fx.server, "GET", `/avatars/att-${hash}.webp`)).status, 404);
  }
  // A big picture fits 2048 px; its thumbnail 400 px.
  const big = await uploaded(alice.cookie, room.id, makePng(2100, 5));
  assert.deepEqual([big.width, big.height, big.thumbWidth, big.thumbHeight], [2048, 2048, 400, 400]);
});

serverTest(fx, "a message with images reaches the room live; text may then be empty; everyone who may read the room sees them", async () => {
  const { alice, bob, carol, room } = await setup("a2");
  const one = await uploaded(alice.cookie, room.id, makePng(50, 1));
  const two = await uploaded(alice.cookie, room.id, makePng(60, 2));
  const sent = (await ok(alice.client, "message:send", { roomId: room.id, text: "", clientId: "pics-1", attachments: [two.id, one.id] })).message;
  assert.equal(sent.text, "");
  assert.deepEqual(sent.attachments, [two, one]);
  const live = await bob.client.waitFor("message", (m) => m.roomId === room.id && m.seq === sent.seq);
  assert.deepEqual(live.attachments, [two, one]);
  // A public room's messages are for every signed-in user to read: carol (not joined) too.
  for (const who of [alice, bob, carol]) {
    assert.equal((await fetchImage(who.cookie, one.url)).status, 200, who.client.label);
    assert.equal((await fetchImage(who.cookie, two.thumbUrl)).status, 200, who.client.label);
  }
  // History and the HTTP history show them; a message without images has [].
  await alice.client.send(room.id, "plain");
  const history = await ok(bob.client, "history", { roomId: room.id });
  assert.deepEqual(history.messages.map((m) => m.attachments.length), [2, 0]);
  const httpHistory = await request(fx.server, "GET", `/api/rooms/${room.id}/messages`, { cookie: bob.cookie });
  assert.deepEqual(httpHistory.json.messages[0].attachments, [two, one]);
  // The same clientId again: the stored message, attachments included, not a second one.
  const again = await ok(alice.client, "message:send", { roomId: room.id, text: "", clientId: "pics-1", attachments: [two.id, one.id] });
  assert.equal(again.message.seq, sent.seq);
  assert.deepEqual(again.message.attachments, [two, one]);
  // Without attachments, an empty text is still invalid; spaces only with an image are "".
  assert.equal((await alice.client.ack("message:send", { roomId: room.id, text: "", clientId: "empty" })).error, "invalid_text");
  const three = await uploaded(alice.cookie, room.id, makePng(20, 3));
  const spaces = await ok(alice.client, "message:send", { roomId: room.id, text: "  \n ", clientId: "sp", attachments: [three.id] });
  assert.equal(spaces.message.text, "");
  // Edits keep them.
  const edited = await ok(alice.client, "message:edit", { roomId: room.id, seq: sent.seq, text: "two pictures" });
  assert.deepEqual(edited.message.attachments, [two, one]);
});

serverTest(fx, "a conversation's images: its two members only; others get 404 as for nothing at all", async () => {
  const { alice, bob, carol, room } = await setup("a3");
  const dm = (await ok(alice.client, "dm:open", { userName: "boba3" })).room;
  const att = await uploaded(alice.cookie, dm.id, makePng(40, 7));
  await ok(alice.client, "message:send", { roomId: dm.id, text: "for you", clientId: "dm-1", attachments: [att.id] });
  const got = await bob.client.waitFor("message", (m) => m.roomId === dm.id);
  assert.deepEqual(got.attachments, [att]);
  assert.equal((await fetchImage(bob.cookie, att.url)).status, 200);
  assert.equal((await fetchImage(bob.cookie, att.thumbUrl)).status, 200);
  for (const url of [att.url, att.thumbUrl]) {
    const res = await fetchImage(carol.cookie, url);
    assert.equal(res.status, 404, url);
    assert.equal(res.json.error, "not_found");
  }
  assert.equal((await fetchImage(undefined, att.url)).status, 401);
  // Uploading: an outsider to the conversation or to a missing room: 404; a public room not
  // joined: 403.
  for (const roomId of [dm.id, 999999]) {
    const res = await upload(carol.cookie, roomId, makePng(8));
    assert.equal(res.status, 404, res.text);
    assert.equal(res.json.error, "not_found");
  }
  const notJoined = await upload(carol.cookie, room.id, makePng(8));
  assert.equal(notJoined.status, 403, notJoined.text);
  assert.equal(notJoined.json.error, "forbidden");
});

serverTest(fx, "attachments that cannot be sent: too many, unknown, someone else's, another room's, already sent", async () => {
  const { alice, bob, room } = await setup("a4");
  const other = (await ok(alice.client, "room:join", { name: "elsewhere a4" })).room;
  const ids = [];
  for (let i = 0; i < 5; i++) ids.push((await uploaded(alice.cookie, room.id, makePng(8, i))).id);
  const tooMany = await alice.client.ack("message:send", { roomId: room.id, text: "5", clientId: "x1", attachments: ids });
  assert.equal(tooMany.error, "too_many_attachments", JSON.stringify(tooMany));
  const sent = await ok(alice.client, "message:send", { roomId: room.id, text: "4", clientId: "x2", attachments: ids.slice(0, 4) });
  assert.equal(sent.message.attachments.length, 4);
  const refusals = [
    [{ attachments: [ids[0]] }, "bad_request"], // already sent
    [{ attachments: ["AAAAAAAAAAAAAAAAAAAAAA"] }, "not_found"],
    [{ attachments: ["not an id"] }, "bad_request"],
    [{ attachments: "x" }, "bad_request"],
    [{ attachments: [ids[4], ids[4]] }, "bad_request"],
    [{ roomId: other.id, attachments: [ids[4]] }, "bad_request"], // uploaded to another room
  ];
  for (const [extra, error] of refusals) {
    const res = await alice.client.ack("message:send", { roomId: room.id, text: "t", clientId: `r-${Math.random()}`, ...extra });
    assert.equal(res.error, error, `${JSON.stringify(extra)}: ${JSON.stringify(res)}`);
    assert.ok(res.message, "every refusal says why");
  }
  // bob cannot send alice's upload.
  const bobs = await bob.client.ack("message:send", { roomId: room.id, text: "mine?", clientId: "b1", attachments: [ids[4]] });
  assert.equal(bobs.error, "not_found");
  // Nothing was stored by the refusals: the next message is the next seq.
  const next = await ok(alice.client, "message:send", { roomId: room.id, text: "last", clientId: "x3", attachments: [ids[4]] });
  assert.equal(next.message.seq, sent.message.seq + 1);
});

serverTest(fx, "bad uploads: not an image (415), over the byte limit (413), over the pixel limit (413), no file (400)", async () => {
  const { alice, room } = await setup("a5");
  const text = await upload(alice.cookie, room.id, Buffer.from("just some text, named photo.png"));
  assert.equal(text.status, 415, text.text);
  assert.equal(text.json.error, "unsupported_type");
  const huge = await upload(alice.cookie, room.id, pngClaiming(9000, 100));
  assert.equal(huge.status, 413, huge.text);
  assert.equal(huge.json.error, "too_large");
  const manyPixels = await upload(alice.cookie, room.id, pngClaiming(7000, 7000));
  assert.equal(manyPixels.status, 413, manyPixels.text);
  const noFile = await upload(alice.cookie, room.id, makePng(8), { name: "other" });
  assert.equal(noFile.status, 400, noFile.text);
  assert.equal(noFile.json.error, "bad_upload");
  // A body announced larger than the limit is refused before it is read...
  const big = Buffer.alloc(MAX_BYTES * 3, 0x41);
  makePng(8).copy(big);
  const { body, contentType } = multipart([{ name: "file", filename: "big.png", data: big }]);
  const announced = await rawUpload(fx.server, `/api/rooms/${room.id}/attachments`, { headers: { "content-type": contentType, cookie: alice.cookie }, body });
  assert.equal(announced.status, 413, announced.text);
  assert.equal(announced.json?.error, "too_large");
  // ... and a file over the limit inside a body that is not is refused too.
  const over = Buffer.alloc(MAX_BYTES + 1, 0x41);
  makePng(8).copy(over);
  const overBody = multipart([{ name: "file", filename: "over.png", data: over }]);
  const res = await rawUpload(fx.server, `/api/rooms/${room.id}/attachments`, { headers: { "content-type": overBody.contentType, cookie: alice.cookie }, body: overBody.body });
  assert.equal(res.status, 413, res.text);
  assert.equal(res.json?.error, "too_large");
  // A chunked body (no Content-Length) stops being read at the limit.
  const chunked = await new Promise((resolve, reject) => {
    const req = http.request({
      host: "127.0.0.1", port: fx.server.port, method: "POST", path: `/api/rooms/${room.id}/attachments`,
      headers: { "content-type": contentType, cookie: alice.cookie, "transfer-encoding": "chunked" },
    });
    req.on("response", (r) => {
      const parts = [];
      r.on("data", (d) => parts.push(d));
      r.on("end", () => resolve({ status: r.statusCode, text: Buffer.concat(parts).toString() }));
    });
    req.on("error", (e) => reject(e));
    for (let at = 0; at < body.length; at += 65536) req.write(body.subarray(at, at + 65536));
    req.end();
  });
  assert.equal(chunked.status, 413, chunked.text);
  assert.equal(JSON.parse(chunked.text).error, "too_large");
  // Cross-site and anonymous uploads are refused.
  const { body: small, contentType: smallType } = multipart([{ name: "file", filename: "a.png", data: makePng(8) }]);
  const cross = await request(fx.server, "POST", `/api/rooms/${room.id}/attachments`, {
    cookie: alice.cookie, body: small, headers: { "content-type": smallType, origin: "https://evil.example" } });
  assert.equal(cross.status, 403, cross.text);
  const anonymous = await request(fx.server, "POST", `/api/rooms/${room.id}/attachments`, { body: small, headers: { "content-type": smallType } });
  assert.equal(anonymous.status, 401, anonymous.text);
  // The server is fine and the user can upload again.
  await uploaded(alice.cookie, room.id, makePng(8, 9));
});

serverTest(fx, "deleting a message removes its images: 404 afterwards, blobs gone, tombstone without attachments", async () => {
  const { alice, bob, room } = await setup("a6");
  const att = await uploaded(alice.cookie, room.id, makePng(30, 42));
  const sent = (await ok(alice.client, "message:send", { roomId: room.id, text: "oops", clientId: "d1", attachments: [att.id] })).message;
  assert.equal((await fetchImage(bob.cookie, att.url)).status, 200);
  const before = walk(fx.server.uploadDir).filter((e) => !e.dir && e.path.startsWith("att/")).length;
  const deleted = await ok(alice.client, "message:delete", { roomId: room.id, seq: sent.seq });
  assert.deepEqual(deleted.message.attachments, []);
  const changed = await bob.client.waitFor("message:changed", (c) => c.roomId === room.id && c.message.seq === sent.seq);
  assert.deepEqual(changed.message.attachments, []);
  for (const url of [att.url, att.thumbUrl]) assert.equal((await fetchImage(alice.cookie, url)).status, 404, url);
  // Its blobs are removed (after the delete is committed, on the store's pool).
  await until(() => walk(fx.server.uploadDir).filter((e) => !e.dir && e.path.startsWith("att/")).length <= before - 1, 5000, "the blobs to be removed", { every: 100 });
  const history = await ok(bob.client, "history", { roomId: room.id });
  assert.deepEqual(history.messages.find((m) => m.seq === sent.seq).attachments, []);
});

serverTest(fx, "DELETE /api/attachments/{id} withdraws the caller's own unsent upload; anything else is 404", async () => {
  const { alice, bob, room } = await setup("a8");
  const del = (cookie, id, headers = {}) => request(fx.server, "DELETE", `/api/attachments/${id}`, { cookie, headers });
  const att = await uploaded(alice.cookie, room.id, makePng(24, 61));
  const twin = await uploaded(alice.cookie, room.id, makePng(24, 61)); // the same bytes: shared blobs
  const blobs = () => walk(fx.server.uploadDir).filter((e) => !e.dir && e.path.startsWith("att/")).length;
  // Not signed in (401), from another site (403), someone else's (404 as for nothing at all).
  assert.equal((await del(undefined, att.id)).status, 401);
  const cross = await del(alice.cookie, att.id, { origin: "https://evil.example", "sec-fetch-site": "cross-site" });
  assert.equal(cross.status, 403, cross.text);
  const bobs = await del(bob.cookie, att.id);
  assert.equal(bobs.status, 404, bobs.text);
  assert.equal(bobs.json.error, "not_found");
  for (const id of ["AAAAAAAAAAAAAAAAAAAAAA", "not-an-id"]) {
    const unknown = await del(alice.cookie, id);
    assert.equal(unknown.status, 404, `${id}: ${unknown.text}`);
    assert.equal(unknown.json.error, "not_found");
  }
  assert.equal((await fetchImage(alice.cookie, att.url)).status, 200, "still there after the refusals");
  // The uploader's own: 204, then gone (and 404 a second time); the twin's blobs stay.
  const gone = await del(alice.cookie, att.id);
  assert.equal(gone.status, 204, gone.text);
  assert.equal((await del(alice.cookie, att.id)).status, 404);
  for (const url of [att.url, att.thumbUrl]) assert.equal((await fetchImage(alice.cookie, url)).status, 404, url);
  for (const url of [twin.url, twin.thumbUrl])
    assert.equal((await fetchImage(alice.cookie, url)).status, 200, "the same bytes' other upload keeps its images");
  const refused = await alice.client.ack("message:send", { roomId: room.id, text: "x", clientId: "w1", attachments: [att.id] });
  assert.equal(refused.error, "not_found");
  // A sent one is removed with its message, not by this route.
  await ok(alice.client, "message:send", { roomId: room.id, text: "sent", clientId: "w2", attachments: [twin.id] });
  const sent = await del(alice.cookie, twin.id);
  assert.equal(sent.status, 404, sent.text);
  assert.equal((await fetchImage(bob.cookie, twin.url)).status, 200);
  // Withdrawing frees a place under CHAT_MAX_UNSENT_ATTACHMENTS, and the last user's blobs go.
  const ids = [];
  for (let i = 0; i < MAX_UNSENT; i++) ids.push((await uploaded(alice.cookie, room.id, makePng(8, 200 + i))).id);
  assert.equal((await upload(alice.cookie, room.id, makePng(8, 199))).status, 429);
  const withBlobs = blobs();
  assert.equal((await del(alice.cookie, ids[0])).status, 204);
  // Its files are removed before the answer (one or two: a tiny image's thumbnail is the image).
  assert.ok(blobs() < withBlobs, "its files are removed");
  await uploaded(alice.cookie, room.id, makePng(8, 199));
  // Anything but GET, HEAD or DELETE on the image itself; DELETE on the thumbnail is refused.
  assert.equal((await request(fx.server, "DELETE", `/api/attachments/${ids[1]}/thumb`, { cookie: alice.cookie })).status, 405);
});

serverTest(fx, "unsent uploads: at most CHAT_MAX_UNSENT_ATTACHMENTS per user (429), and they expire", async () => {
  const { alice, bob, room } = await setup("a7");
  const ids = [];
  for (let i = 0; i < MAX_UNSENT; i++) ids.push((await uploaded(alice.cookie, room.id, makePng(8, 100 + i))).id);
  const refused = await upload(alice.cookie, room.id, makePng(8, 99));
  assert.equal(refused.status, 429, refused.text);
  assert.equal(refused.json.error, "rate_limited");
  assert.match(refused.json.message, /not sent/);
  // Other users are not affected; sending one frees a place.
  await uploaded(bob.cookie, room.id, makePng(8, 98));
  await ok(alice.client, "message:send", { roomId: room.id, text: "one", clientId: "u1", attachments: [ids[0]] });
  const freed = await uploaded(alice.cookie, room.id, makePng(8, 97));
  // Unsent ones are deleted after CHAT_ATTACHMENT_TTL_S: gone for their uploader, and they
  // cannot be sent any more; the sent one stays.
  await until(async () => (await fetchImage(alice.cookie, `/api/attachments/${freed.id}`)).status === 404, (TTL_S * 2 + 5) * 1000,
    "the unsent upload to expire", { every: 500 });
  const late = await alice.client.ack("message:send", { roomId: room.id, text: "late", clientId: "u2", attachments: [ids[1]] });
  assert.equal(late.error, "not_found");
  assert.equal((await fetchImage(bob.cookie, `/api/attachments/${ids[0]}`)).status, 200);
  await uploaded(alice.cookie, room.id, makePng(8, 96));
}, { timeout: 60_000 });
