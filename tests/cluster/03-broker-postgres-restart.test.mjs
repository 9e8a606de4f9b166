// Cluster 3: the broker, and separately PostgreSQL, stop and start again during traffic
// (scripts/services.sh stop/start of the cluster's instance). Once they are back every client
// ends with every acknowledged message, once, in order (clients sync on gaps, reconnects and the
// server's `resync`). While PostgreSQL is down a sender gets an error ack (storage_unavailable)
// in bounded time, not silence.
import assert from "node:assert/strict";
import { newClientId } from "../lib/chat-client.mjs";
import { account } from "../lib/fixtures.mjs";
import { request } from "../lib/net.mjs";
import { sleep, until } from "../lib/wait.mjs";
import { Cluster, clusterTest, state, useCluster } from "./lib/cluster.mjs";
import { assertConverged, joinRoom, spreadClients, traffic } from "./lib/client.mjs";

const fx = useCluster("restarts");

let users;
async function setup(room) {
  const lb = fx.cluster.lbUrl;
  if (!users) {
    users = [];
    for (const name of ["quin", "rosa", "sam", "tia"]) users.push(await account(lb, name));
  }
  const clients = await spreadClients(lb, users);
  const roomId = await joinRoom(clients, room);
  return { clients, roomId };
}

clusterTest(fx, `the broker (${state.broker}) restarts during traffic: nothing is lost or shown twice`, async () => {
  const { clients, roomId } = await setup("broker-restart");
  const service = Cluster.brokerServiceName();
  const t = traffic(clients, roomId, { everyMs: 300, tag: "broker" });
  await sleep(2500);
  const beforeStop = t.count();
  await Cluster.service("stop", service);
  if (state.broker !== "postgres") {
    // The replicas stay ready (HAProxy checks /readyz and keeps sending them clients): the store
    // decides readiness; the broker outage shows as "degraded" and in /metrics.
    const replicas = [0, 1, 2].map((i) => fx.cluster.replica(i));
    await until(async () => {
      const answers = await Promise.all(replicas.map((r) => request(r.url, "GET", "/readyz", { ms: 1000 }).catch(() => null)));
      return answers.every((a) => a?.status === 200 && a.json?.degraded?.includes("broker unreachable"));
    }, 10000, "every replica ready but degraded while the broker is down", { every: 50 });
    const viaLb = await request(fx.cluster.lbUrl, "GET", "/readyz", { ms: 2000 });
    assert.equal(viaLb.status, 200, `through the load balancer while the broker is down: ${viaLb.text}`);
  } else {
    await sleep(2000);
  }
  await Cluster.service("start", service);
  const restartedAt = Date.now();
  // Sending works again once the replicas are back on the broker (PostgreSQL as the broker is
  // the database too: sends fail while it is down).
  const afterStart = t.count();
  await until(() => t.count() >= afterStart + clients.length, 30000, () => `sends to succeed after the broker restart (${t.count()} acked, ${t.pending.length} pending)`);
  await sleep(2500);
  const acked = await t.finish(30000);
  assert.ok(beforeStop > 0);
  const { N } = await assertConverged(clients, roomId, acked, { marker: clients[0], ms: 40000 });
  assert.ok(N >= acked.length + 1);
  const resyncs = clients.reduce((n, c) => n + c.syncs.resync, 0);
  const reconnects = clients.reduce((n, c) => n + c.syncs.reconnect, 0);
  console.log(`# broker back after ${Date.now() - restartedAt} ms; ${N} messages; resync events ${resyncs}, reconnect syncs ${reconnects}`);
});

clusterTest(fx, "PostgreSQL restarts during traffic: an error ack while it is down, nothing lost once it is back", async () => {
  const { clients, roomId } = await setup("postgres-restart");
  const t = traffic(clients, roomId, { everyMs: 300, tag: "pg" });
  await sleep(2500);
  await Cluster.service("stop", "postgres");
  try {
    // A sender on each replica gets an answer, and it is the error, within 15 s.
    const probes = ["chat1", "chat2", "chat3"].map((s) => clients.find((c) => c.label.endsWith(`@${s}`) && c.connected));
    const answers = await Promise.all(
      probes.map(async (c) => {
        const started = Date.now();
        const res = await c.sendOnce(roomId, "while the database is down", newClientId("down"), 15000);
        return { c, res, ms: Date.now() - started };
      }),
    );
    for (const { c, res, ms } of answers) {
      assert.notEqual(res?.error, "ack_timeout", `${c.label}: no ack within 15 s while PostgreSQL is down`);
      assert.equal(res?.ok, false, `${c.label}: ${JSON.stringify(res)}`);
      assert.equal(res.error, "storage_unavailable", `${c.label}: ${JSON.stringify(res)} after ${ms} ms`);
      assert.equal(typeof res.message, "string");
    }
  } finally {
    await Cluster.service("start", "postgres");
  }
  const afterStart = t.count();
  await until(() => t.count() >= afterStart + clients.length, 30000, () => `sends to succeed after PostgreSQL restarted (${t.count()} acked, ${t.pending.length} pending)`);
  await sleep(2000);
  const acked = await t.finish(30000);
  assert.ok(t.errorAcks.some((e) => e.res?.error === "storage_unavailable"), "the senders saw storage_unavailable while it was down");
  for (const e of t.errorAcks)
    assert.ok(["storage_unavailable", "ack_timeout"].includes(e.res?.error), `unexpected error ack ${JSON.stringify(e)}`);
  await assertConverged(clients, roomId, acked, { marker: clients[0], ms: 40000 });
});
