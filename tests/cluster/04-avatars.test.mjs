// Cluster 4: an avatar uploaded through one replica is served by every replica (each asked
// directly at its own address), with the blob store of this run: one UPLOAD_DIR shared by all
// replicas (BLOB_STORE=fs) or the database (BLOB_STORE=db). Room mates on other replicas are told.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { account, makePng, multipart } from "../lib/fixtures.mjs";
import { request } from "../lib/net.mjs";
import { clusterTest, state, useCluster } from "./lib/cluster.mjs";
import { clusterClient } from "./lib/client.mjs";

const fx = useCluster("avatars");
const AVATAR_URL = /^\/avatars\/[0-9a-f]{64}\.webp$/;

clusterTest(fx, `an avatar uploaded on chat1 is served by chat2 and chat3 (BLOB_STORE=${state.blobStore})`, async () => {
  const cluster = fx.cluster;
  const [r1, r2, r3] = cluster.replicas;
  const uma = await account(cluster.lbUrl, "uma");
  const vic = await account(cluster.lbUrl, "vic");
  // vic watches from chat1 (where the upload happens) and from chat3.
  const local = clusterClient(r1.url, vic.cookie, { kind: "websocket", label: "vic@chat1" });
  const remote = clusterClient(r3.url, vic.cookie, { kind: "polling", label: "vic@chat3" });
  // uma is connected (through the load balancer) as the web UI would be while uploading.
  const self = clusterClient(cluster.lbUrl, uma.cookie, { kind: "upgrade", label: "uma@lb" });
  await Promise.all([local.open(), remote.open(), self.open()]);

  const { body, contentType } = multipart([{ name: "avatar", filename: "me.png", contentType: "image/png", data: makePng(32, 5) }]);
  const res = await request(r1.url, "POST", "/api/avatar", { cookie: uma.cookie, body, headers: { "content-type": contentType } });
  assert.equal(res.status, 200, `upload on chat1: ${res.status} ${res.text}`);
  const user = res.json.user;
  assert.match(user.avatar ?? "", AVATAR_URL);
  assert.match(user.avatarSmall ?? "", AVATAR_URL);

  for (const url of [user.avatar, user.avatarSmall]) {
    let first;
    for (const r of [r1, r2, r3]) {
      const img = await request(r.url, "GET", url);
      assert.equal(img.status, 200, `${r.name} GET ${url}: ${img.status} ${img.text.slice(0, 200)}`);
      assert.equal(img.headers["content-type"], "image/webp", `${r.name} ${url}`);
      assert.match(img.headers["cache-control"] ?? "", /\bimmutable\b/);
      assert.equal(img.headers["x-content-type-options"], "nosniff");
      assert.equal(img.buffer.subarray(0, 4).toString("latin1"), "RIFF");
      assert.equal(img.buffer.subarray(8, 12).toString("latin1"), "WEBP");
      if (first) assert.ok(first.equals(img.buffer), `${r.name} serves the same bytes for ${url}`);
      first = img.buffer;
    }
    // And through the load balancer.
    const viaLb = await request(cluster.lbUrl, "GET", url);
    assert.equal(viaLb.status, 200, `HAProxy GET ${url}`);
  }

  // Unknown avatars are 404 on every replica.
  for (const r of [r2, r3]) {
    const missing = await request(r.url, "GET", `/avatars/${"0".repeat(64)}.webp`);
    assert.equal(missing.status, 404, `${r.name}: ${missing.status}`);
  }

  // Every replica's view of the user has the avatar, and a room mate on chat3 was told.
  for (const r of [r2, r3]) {
    const me = await request(r.url, "GET", "/api/me", { cookie: uma.cookie });
    assert.equal(me.status, 200, `${r.name} /api/me: ${me.text}`);
    assert.deepEqual(me.json.user, user, `${r.name} /api/me`);
  }
  for (const watcher of [local, remote, self]) {
    await watcher.until(() => watcher.events.some((e) => e.event === "user:updated" && e.args[0]?.id === user.id), 10000, "user:updated about uma");
    assert.deepEqual(watcher.events.find((e) => e.event === "user:updated" && e.args[0]?.id === user.id).args[0], user);
  }

  // Where the bytes are: the shared directory, or not on disk at all.
  const files = readdirSync(cluster.uploadDir, { recursive: true }).filter((f) => /^[0-9a-f]{2}\/[0-9a-f]{62}$/.test(f));
  if (state.blobStore === "fs") assert.ok(files.length >= 2, `the shared UPLOAD_DIR holds the avatars: ${files.join(", ")}`);
  else assert.deepEqual(files, [], "BLOB_STORE=db writes no files to UPLOAD_DIR");
});
