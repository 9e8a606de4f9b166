// Scenario 9: avatar upload (multipart, field "avatar"), serving, announcement, and hostile uploads.
import assert from "node:assert/strict";
import http from "node:http";
import { connectChat } from "../lib/chat-client.mjs";
import { serverTest, useChatServer } from "../lib/chat-server.mjs";
import { account, makePng, multipart, walk } from "../lib/fixtures.mjs";
import { rawUpload, request } from "../lib/net.mjs";

const fx = useChatServer();
const AVATAR_URL = /^\/avatars\/[0-9a-f]{64}\.webp$/;

function upload(cookie, parts, headers = {}) {
  const { body, contentType } = multipart(parts);
  return request(fx.server, "POST", "/api/avatar", { cookie, body, headers: { "content-type": contentType, ...headers } });
}

/** The upload dir holds only content-addressed blobs: <2 hex>/<62 hex>, no temporary files. */
function assertOnlyBlobs() {
  const entries = walk(fx.server.uploadDir);
  for (const e of entries) {
    if (e.dir) assert.match(e.path, /^[0-9a-f]{2}$/, `unexpected directory in the upload dir: ${e.path}`);
    else assert.match(e.path, /^[0-9a-f]{2}\/[0-9a-f]{62}$/, `unexpected file in the upload dir: ${e.path}`);
  }
  return entries.filter((e) => !e.dir);
}

serverTest(fx, "uploading a PNG sets a WebP avatar, served immutable, and announced to room mates", async () => {
  const s = fx.server;
  const alice = await account(s, "alice");
  const bob = await account(s, "bob");
  const b = await connectChat(s, bob.cookie, { label: "bob" });
  const a = await connectChat(s, alice.cookie, { label: "alice" });

  const png = makePng(8, 1);
  const res = await upload(alice.cookie, [{ name: "avatar", filename: "me.png", contentType: "image/png", data: png }]);
  assert.equal(res.status, 200, res.text);
  const user = res.json.user;
  assert.equal(user.id, alice.user.id);
  assert.equal(user.name, "alice");
  assert.match(user.avatar ?? "", AVATAR_URL);
  assert.match(user.avatarSmall ?? "", AVATAR_URL);
  assert.notEqual(user.avatar, user.avatarSmall);

  for (const url of [user.avatar, user.avatarSmall]) {
    const img = await request(s, "GET", url);
    assert.equal(img.status, 200, `${url}: ${img.text.slice(0, 200)}`);
    assert.equal(img.headers.get("content-type"), "image/webp");
    assert.match(img.headers.get("cache-control") ?? "", /\bimmutable\b/);
    assert.match(img.headers.get("cache-control") ?? "", /\bmax-age=31536000\b/);
    assert.equal(img.headers.get("x-content-type-options"), "nosniff");
    assert.ok(img.buffer.length > 12, `${url}: ${img.buffer.length} bytes`);
    assert.equal(img.buffer.subarray(0, 4).toString("latin1"), "RIFF");
    assert.equal(img.buffer.subarray(8, 12).toString("latin1"), "WEBP");
    assert.equal(img.buffer.readUInt32LE(4), img.buffer.length - 8, "RIFF size matches the body");
  }

  // Room mates are told.
  const updated = await b.waitFor("user:updated", (u) => u.id === alice.user.id);
  assert.deepEqual(updated, user);
  assert.ok(a.socket.connected);
  // /api/me and a new connection's ready have it too.
  const me = await request(s, "GET", "/api/me", { cookie: alice.cookie });
  assert.deepEqual(me.json.user, user);
  const a2 = await connectChat(s, alice.cookie, { label: "alice 2" });
  assert.deepEqual(a2.ready.user, user);
  // Presence lists the new avatar.
  const joined = await b.ack("room:join", { roomId: b.room("general").id });
  assert.deepEqual(joined.online.find((u) => u.id === alice.user.id), user);

  // Another picture: new URLs, announced again.
  const again = await upload(alice.cookie, [{ name: "avatar", filename: "again.png", data: makePng(16, 99) }]);
  assert.equal(again.status, 200, again.text);
  assert.notEqual(again.json.user.avatar, user.avatar);
  assert.deepEqual(await b.waitFor("user:updated", (u) => u.avatar === again.json.user.avatar), again.json.user);

  assertOnlyBlobs();
});

serverTest(fx, "a text file named x.png is refused with 415 unsupported_type", async () => {
  const alice = await account(fx.server, "alice");
  const before = (await request(fx.server, "GET", "/api/me", { cookie: alice.cookie })).json.user;
  const res = await upload(alice.cookie, [
    { name: "avatar", filename: "x.png", contentType: "image/png", data: "this is not an image\n".repeat(20) },
  ]);
  assert.equal(res.status, 415, res.text);
  assert.equal(res.json.error, "unsupported_type");
  const html = await upload(alice.cookie, [
    { name: "avatar", filename: "x.png", contentType: "image/png", data: "<html><script>alert(1)</script></html>" },
  ]);
  assert.equal(html.status, 415, html.text);
  assert.equal(html.json.error, "unsupported_type");
  const after = (await request(fx.server, "GET", "/api/me", { cookie: alice.cookie })).json.user;
  assert.deepEqual(after, before, "a refused upload changes nothing");
});

serverTest(fx, "a PNG signature followed by garbage is a bad upload (400), not a crash", async () => {
  const alice = await account(fx.server, "alice");
  const png = makePng(8);
  const truncated = png.subarray(0, png.length - 20);
  const res = await upload(alice.cookie, [{ name: "avatar", filename: "t.png", data: truncated }]);
  assert.equal(res.status, 400, res.text);
  assert.equal(res.json.error, "bad_upload");
  const noFile = await upload(alice.cookie, [{ name: "other", filename: "a.png", data: png }]);
  assert.equal(noFile.status, 400, noFile.text);
  assert.equal(noFile.json.error, "bad_upload");
});

serverTest(fx, "a 2 MiB PNG (within the 5 MiB limit) is accepted", async () => {
  const alice = await account(fx.server, "alice");
  // 840 x 840 pixels of noise: deflate cannot shrink it, so the file is ~2.1 MB.
  const png = makePng(840, 0, { noise: true });
  assert.ok(png.length > 2 * 1024 * 1024 && png.length < 5 * 1024 * 1024, `${png.length} bytes`);
  const { body, contentType } = multipart([{ name: "avatar", filename: "big-but-fine.png", contentType: "image/png", data: png }]);
  const res = await rawUpload(fx.server, "/api/avatar", { headers: { "content-type": contentType, cookie: alice.cookie }, body });
  assert.equal(res.status, 200, res.text);
  assert.match(res.json.user.avatar ?? "", AVATAR_URL);
  assertOnlyBlobs();
});

serverTest(fx, "a 6 MiB upload is refused with 413 too_large", async () => {
  const alice = await account(fx.server, "alice");
  const big = Buffer.alloc(6 * 1024 * 1024, 0x41);
  makePng(8).copy(big); // starts like a PNG
  const { body, contentType } = multipart([{ name: "avatar", filename: "big.png", contentType: "image/png", data: big }]);
  const res = await rawUpload(fx.server, "/api/avatar", {
    headers: { "content-type": contentType, cookie: alice.cookie },
    body,
  });
  assert.equal(res.status, 413, res.text);
  assert.equal(res.json?.error, "too_large", `413 body: ${res.text}`);
  assertOnlyBlobs();
});

serverTest(fx, "a file just over 5 MiB inside a small enough body is refused with 413 too_large", async () => {
  const alice = await account(fx.server, "alice");
  const big = Buffer.alloc(5 * 1024 * 1024 + 1, 0x41);
  makePng(8).copy(big);
  const { body, contentType } = multipart([{ name: "avatar", filename: "big.png", data: big }]);
  assert.ok(body.length < 5 * 1024 * 1024 + 64 * 1024, "the whole body is within what an upload may take");
  const res = await rawUpload(fx.server, "/api/avatar", { headers: { "content-type": contentType, cookie: alice.cookie }, body });
  assert.equal(res.status, 413, res.text);
  assert.equal(res.json.error, "too_large");
});

serverTest(fx, "a filename with ../ is only a name: accepted, nothing written outside the upload dir", async () => {
  const alice = await account(fx.server, "alice");
  const before = new Set(walk(fx.server.dir).map((e) => e.path));
  for (const filename of ["../../evil.png", "..%2F..%2Fevil2.png", "/tmp/evil3.png", "..\\..\\evil4.png"]) {
    const res = await upload(alice.cookie, [{ name: "avatar", filename, contentType: "image/png", data: makePng(8, filename.length) }]);
    assert.equal(res.status, 200, `${filename}: ${res.text}`);
    assert.match(res.json.user.avatar, AVATAR_URL);
  }
  const blobs = assertOnlyBlobs();
  assert.ok(blobs.length >= 2);
  const uploadsRel = fx.server.uploadDir.slice(fx.server.dir.length + 1);
  const added = walk(fx.server.dir)
    .map((e) => e.path)
    .filter((p) => !before.has(p) && !p.startsWith(uploadsRel + "/"));
  // Only the database's own files may appear outside the upload dir.
  for (const p of added) assert.match(p, /^data\/chat\.db(-wal|-shm|-journal)?$/, `written outside the upload dir: ${p}`);
  for (const p of walk(fx.server.dir).map((e) => e.path)) assert.doesNotMatch(p, /evil/);
});

serverTest(fx, "POST /api/avatar without a session: 401; cross-site: 403", async () => {
  const alice = await account(fx.server, "alice");
  const png = makePng(8);
  const anonymous = await upload(null, [{ name: "avatar", filename: "a.png", data: png }]);
  assert.equal(anonymous.status, 401, anonymous.text);
  assert.equal(anonymous.json.error, "unauthorized");
  const garbage = await upload("chat_session=garbage", [{ name: "avatar", filename: "a.png", data: png }]);
  assert.equal(garbage.status, 401, garbage.text);
  const crossSite = await upload(alice.cookie, [{ name: "avatar", filename: "a.png", data: png }], {
    origin: "http://evil.example",
  });
  assert.equal(crossSite.status, 403, crossSite.text);
  assert.equal(crossSite.json.error, "forbidden");
});

serverTest(fx, "GET /avatars/: unknown or malformed names are 404", async () => {
  const s = fx.server;
  const unknown = await request(s, "GET", `/avatars/${"0".repeat(64)}.webp`);
  assert.equal(unknown.status, 404, unknown.text);
  for (const raw of ["/avatars/..%2F..%2Fchat.db", "/avatars/../data/chat.db", "/avatars/" + "a".repeat(64), "/avatars/x.webp"]) {
    const status = await new Promise((resolve, reject) => {
      const req = http.get({ host: "127.0.0.1", port: s.port, path: raw }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode));
      });
      req.setTimeout(5000, () => req.destroy(new Error(`timeout for ${raw}`)));
      req.on("error", reject);
    });
    assert.ok(status === 404 || status === 400, `${raw}: ${status}`);
  }
});
