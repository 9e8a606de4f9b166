// Cluster 5: presence across replicas. A user connected to two replicas is one entry in the
// online list everywhere; closing one of the two keeps them online; the users of a SIGKILLed
// replica drop out of the other replicas' lists within a bounded time (the presence TTL is at
// most 15 s), while a user also connected elsewhere stays.
import assert from "node:assert/strict";
import { account } from "../lib/fixtures.mjs";
import { sleep } from "../lib/wait.mjs";
import { clusterTest, useCluster } from "./lib/cluster.mjs";
import { clusterClient } from "./lib/client.mjs";

const fx = useCluster("presence");
const PRESENCE_TTL_MS = 15000;

function names(users) {
  return users.map((u) => u.name).sort();
}

/** The latest `presence` of room `roomId` a client received from index `from`, or null. */
function latestPresence(c, roomId) {
  for (let i = c.events.length - 1; i >= 0; i--) {
    const e = c.events[i];
    if (e.event === "presence" && e.args[0]?.roomId === roomId) return e.args[0];
  }
  return null;
}

/** Waits until the client's view of room's online list (latest presence) satisfies `pred`. */
async function waitOnline(c, roomId, pred, ms, what) {
  const started = Date.now();
  await c.until(() => {
    const p = latestPresence(c, roomId);
    return p && pred(p.online);
  }, ms, `${what} (last presence: ${JSON.stringify(names(latestPresence(c, roomId)?.online ?? []))})`);
  return Date.now() - started;
}

async function joinedOnline(c, roomId) {
  const res = await c.socket.timeout(10000).emitWithAck("room:join", { roomId });
  assert.equal(res?.ok, true, `${c.label}: room:join: ${JSON.stringify(res)}`);
  return res.online;
}

clusterTest(fx, "a user on two replicas is online once; a killed replica's users go offline within the TTL", async () => {
  const cluster = fx.cluster;
  const [r1, r2, r3] = cluster.replicas;
  const pat = await account(cluster.lbUrl, "pat");
  const quinn = await account(cluster.lbUrl, "quinn");
  const obs = await account(cluster.lbUrl, "obs");

  const observer = clusterClient(r3.url, obs.cookie, { kind: "websocket", label: "obs@chat3", reconnection: false });
  await observer.open();
  const general = observer.roomId("general");

  const pat1 = clusterClient(r1.url, pat.cookie, { kind: "polling", label: "pat@chat1", reconnection: false });
  const pat2 = clusterClient(r2.url, pat.cookie, { kind: "websocket", label: "pat@chat2", reconnection: false });
  const quinn2 = clusterClient(r2.url, quinn.cookie, { kind: "upgrade", label: "quinn@chat2", reconnection: false });
  await Promise.all([pat1.open(), pat2.open(), quinn2.open()]);

  const everyone = (online) => ["obs", "pat", "quinn"].every((n) => online.some((u) => u.name === n));
  await waitOnline(observer, general, everyone, 10000, "obs@chat3 to see pat and quinn online");
  for (const c of [observer, pat1, pat2, quinn2]) {
    const online = await joinedOnline(c, general);
    assert.deepEqual(names(online), ["obs", "pat", "quinn"], `${c.label}: the online list of general has each user once`);
  }
  assert.deepEqual(names(latestPresence(observer, general).online), ["obs", "pat", "quinn"], "presence lists pat once");

  // pat closes the chat1 tab: still online through chat2.
  pat1.close();
  await sleep(2000);
  assert.deepEqual(names(await joinedOnline(observer, general)), ["obs", "pat", "quinn"], "pat is still online (chat2)");
  // ...and opens it again.
  const pat1b = clusterClient(r1.url, pat.cookie, { kind: "polling", label: "pat@chat1 again", reconnection: false });
  await pat1b.open();

  // chat2 dies: quinn (only there) goes offline everywhere, pat (also on chat1) stays. Each
  // replica finds out by itself (heartbeats), each within the TTL.
  await r2.kill();
  const killedAt = Date.now();
  const gone = (online) => !online.some((u) => u.name === "quinn");
  let tookMs = 0;
  for (const c of [observer, pat1b]) {
    await waitOnline(c, general, gone, PRESENCE_TTL_MS + 5000 - (Date.now() - killedAt), `quinn to drop out of ${c.label}'s online list after chat2 was killed`);
    tookMs = Math.max(tookMs, Date.now() - killedAt);
    assert.deepEqual(names(latestPresence(c, general).online), ["obs", "pat"], `${c.label}: pat stays online (chat1), quinn is gone`);
    assert.deepEqual(names(await joinedOnline(c, general)), ["obs", "pat"], `${c.label}: room:join agrees`);
  }
  console.log(`# quinn went offline ${tookMs} ms after chat2 was killed`);
});

clusterTest(fx, "typing notices reach room mates on the other replicas, not the typist", async () => {
  const cluster = fx.cluster;
  const [r1, , r3] = cluster.replicas;
  const tia = await account(cluster.lbUrl, "tia");
  const uma = await account(cluster.lbUrl, "uma");
  const typist = clusterClient(r1.url, tia.cookie, { kind: "websocket", label: "tia@chat1", reconnection: false });
  const reader = clusterClient(r3.url, uma.cookie, { kind: "polling", label: "uma@chat3", reconnection: false });
  await Promise.all([typist.open(), reader.open()]);
  const general = reader.roomId("general");
  await sleep(500); // both replicas subscribed to the room's channel

  const typingEvents = (c) => c.events.filter((e) => e.event === "typing").map((e) => e.args[0]);
  typist.socket.emit("typing", { roomId: general, typing: true });
  await reader.until(() => typingEvents(reader).some((t) => t.user?.name === "tia" && t.typing === true), 10000,
    "uma@chat3 to see tia typing (from chat1)");
  typist.socket.emit("typing", { roomId: general, typing: false });
  await reader.until(() => typingEvents(reader).some((t) => t.user?.name === "tia" && t.typing === false), 10000,
    "uma@chat3 to see tia stop typing");
  const t = typingEvents(reader).find((e) => e.typing === true);
  assert.equal(t.roomId, general);
  assert.equal(typingEvents(typist).length, 0, "the typist gets no notice of their own typing");
  typist.close();
  reader.close();
});
