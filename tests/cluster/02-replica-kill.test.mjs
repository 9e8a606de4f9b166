// Cluster 2: SIGKILL one replica during traffic. Its clients (polling, WebSocket, upgraded)
// reconnect through HAProxy to the other replicas, sync, and end with every acknowledged message,
// none twice; a message whose ack was lost is resent with the same clientId and stored once.
import assert from "node:assert/strict";
import { account } from "../lib/fixtures.mjs";
import { sleep, until } from "../lib/wait.mjs";
import { clusterTest, useCluster } from "./lib/cluster.mjs";
import { assertConverged, joinRoom, spreadClients, traffic } from "./lib/client.mjs";

const fx = useCluster("replica-kill");

clusterTest(fx, "a SIGKILLed replica's clients move to the others and miss nothing", async () => {
  const cluster = fx.cluster;
  const lb = cluster.lbUrl;
  const users = [];
  for (const name of ["kim", "lea", "max", "ned", "oli", "pia"]) users.push(await account(lb, name));
  const clients = await spreadClients(lb, users);
  const roomId = await joinRoom(clients, "failover");
  const victims = clients.filter((c) => c.label.endsWith("@chat2"));
  assert.equal(victims.length, 3);

  const t = traffic(clients, roomId, { everyMs: 250, tag: "kill" });
  await sleep(3000);
  const before = t.count();
  assert.ok(before > 0, "traffic flows before the kill");
  await cluster.replica(1).kill();
  const killedAt = Date.now();

  // Its clients notice, reconnect through HAProxy (to chat1 or chat3) and sync.
  await until(() => victims.every((c) => c.disconnects.length > 0), 10000, () => `every chat2 client disconnected: ${victims.map((c) => `${c.label} ${c.disconnects.length}`).join(", ")}`);
  await until(() => victims.every((c) => c.connected && c.connects >= 2), 30000, () => `chat2's clients reconnected: ${victims.map((c) => `${c.label} connected=${c.connected} connects=${c.connects}`).join(", ")}`);
  const reconnectMs = Date.now() - killedAt;
  await cluster.waitBalancerUp(); // HAProxy's checks have taken chat2 out
  await sleep(3000); // traffic goes on with two replicas
  const acked = await t.finish(30000);
  assert.ok(t.count() > before, "traffic went on after the kill");

  const { N } = await assertConverged(clients, roomId, acked, { marker: clients[0], ms: 30000 });

  for (const c of victims) {
    assert.ok(c.syncs.reconnect >= 1, `${c.label} synced after reconnecting`);
    if (c.kind === "polling") assert.match(c.serverCookie ?? "", /^chat[13]$/, `${c.label} now sticks to a live replica`);
  }
  // Clients of the surviving replicas stayed connected.
  for (const c of clients.filter((c) => !victims.includes(c) && !c.label.endsWith("@lb"))) assert.equal(c.connects, 1, `${c.label} stayed connected`);
  assert.ok(N > before, `N = ${N}`);
  assert.ok(reconnectMs < 30000);
});
