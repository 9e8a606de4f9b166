// Cluster 2: SIGKILL one replica during traffic.
//  1. The replica that OWNS sessions: its clients (polling, WebSocket, upgraded) reconnect through
//     HAProxy to the other replicas, sync, and end with every acknowledged message, none twice; a
//     message whose ack was lost is resent with the same clientId and stored once. Behind the
//     round-robin balancer (the default) "its clients" are those whose Engine.IO session it owns
//     (the session id's tag): their requests reached any replica and were forwarded to it, and
//     after its death the others answer "Session ID unknown" at once (issue #14).
//  2. A replica that owns NO session but, behind the round-robin balancer, FORWARDS requests for
//     sessions the others own (and proxies WebSockets upgraded through it): the clients whose
//     request or WebSocket went through it at that moment reconnect and sync; every client ends
//     with every message once, in order; WebSocket-only clients, which never touch it, stay
//     connected. Behind the sticky balancer nothing goes through it: nobody even notices.
import assert from "node:assert/strict";
import { account } from "../lib/fixtures.mjs";
import { sleep, until } from "../lib/wait.mjs";
import { ROUND_ROBIN, clusterTest, state, useCluster } from "./lib/cluster.mjs";
import { haproxyStats } from "./lib/infra.mjs";
import { assertConverged, assertNoAffinityCookie, joinRoom, replicaOf, spreadClients, traffic } from "./lib/client.mjs";

const fx = useCluster("replica-kill");

async function users(names) {
  const list = [];
  for (const name of names) list.push(await account(fx.cluster.lbUrl, name));
  return list;
}

/** HAProxy's cumulative request count for one replica. */
async function requestsTo(name) {
  const rows = await haproxyStats(state.haproxy.statsSocket);
  return Number(rows.find((r) => r.pxname === "chat" && r.svname === name)?.stot ?? 0);
}

const describe = (clients) => clients.map((c) => `${c.label} connected=${c.connected} connects=${c.connects} disconnects=${JSON.stringify(c.disconnects.map((d) => d.reason))}`).join("\n");

clusterTest(fx, "a SIGKILLed replica's clients (the sessions it owns) move to the others and miss nothing", async () => {
  const cluster = fx.cluster;
  const clients = await spreadClients(cluster.lbUrl, await users(["kim", "lea", "max", "ned", "oli", "pia"]));
  const roomId = await joinRoom(clients, "failover");
  const victims = clients.filter((c) => c.label.endsWith("@chat2"));
  assert.equal(victims.length, 3);
  for (const c of victims) assert.equal(replicaOf(c), "chat2", `${c.label} is on chat2`);
  if (ROUND_ROBIN) assertNoAffinityCookie(clients);

  const t = traffic(clients, roomId, { everyMs: 250, tag: "kill" });
  await sleep(3000);
  const before = t.count();
  assert.ok(before > 0, "traffic flows before the kill");
  await cluster.replica(1).kill();
  const killedAt = Date.now();

  // Its clients notice, reconnect through HAProxy (to chat1 or chat3) and sync.
  await until(() => victims.every((c) => c.disconnects.length > 0), 10000, () => `every chat2 client disconnected:\n${describe(victims)}`);
  await until(() => victims.every((c) => c.connected && c.connects >= 2), 30000, () => `chat2's clients reconnected:\n${describe(victims)}`);
  const reconnectMs = Date.now() - killedAt;
  await cluster.waitBalancerUp(); // HAProxy's checks have taken chat2 out
  await sleep(3000); // traffic goes on with two replicas
  const acked = await t.finish(30000);
  assert.ok(t.count() > before, "traffic went on after the kill");

  const { N } = await assertConverged(clients, roomId, acked, { marker: clients[0], ms: 30000 });

  for (const c of victims) {
    assert.ok(c.syncs.reconnect >= 1, `${c.label} synced after reconnecting`);
    // Round robin: the owner of its new session. Sticky: the SERVERID cookie HAProxy set on a
    // polling answer (a WebSocket-only client gets none: it is wherever its connection went).
    if (ROUND_ROBIN || c.kind === "polling") assert.match(replicaOf(c) ?? "", /^chat[13]$/, `${c.label} is now on a live replica`);
  }
  // Clients of the surviving replicas stayed connected — behind the round-robin balancer only
  // those that never go through chat2: WebSocket-only ones (HAProxy hands their one connection to
  // the replica that owns them). A poll or an upgraded WebSocket that chat2 was forwarding when it
  // died is lost like any connection to a dead replica, and that client reconnects and syncs.
  for (const c of clients.filter((c) => !victims.includes(c) && !c.label.endsWith("@lb"))) {
    if (!ROUND_ROBIN || c.kind === "websocket") assert.equal(c.connects, 1, `${c.label} stayed connected`);
    else if (c.connects > 1) assert.ok(c.syncs.reconnect >= 1, `${c.label} synced after reconnecting`);
  }
  assert.ok(N > before, `N = ${N}`);
  assert.ok(reconnectMs < 30000);
});

clusterTest(fx, "a SIGKILLed replica that owns no session, only forwards requests for others: clients recover, nothing lost or doubled", async () => {
  const cluster = fx.cluster;
  const chat2 = cluster.replica(1);
  if (!chat2.running) {
    // The test before killed it: a fresh chat2 (a new tag: the sessions it owned are gone).
    await chat2.start();
    await cluster.waitBalancerUp();
    await cluster.waitPeersKnown();
  }
  // Every session owned by chat1 or chat3; chat2 owns none.
  const clients = await spreadClients(cluster.lbUrl, await users(["quy", "ria", "sol", "tom"]), { on: ["chat1", "chat3", "chat1", "chat3"], lb: false });
  const roomId = await joinRoom(clients, "forwarder");
  for (const c of clients) assert.match(replicaOf(c), /^chat[13]$/, `${c.label} owned by chat1 or chat3`);
  if (ROUND_ROBIN) assertNoAffinityCookie(clients);
  await until(() => clients.filter((c) => c.kind === "upgrade").every((c) => c.transport === "websocket"), 15000, "every upgrading client on websocket");

  const t = traffic(clients, roomId, { everyMs: 250, tag: "fwd" });
  const requestsBefore = await requestsTo("chat2");
  await sleep(3000);
  const viaChat2 = (await requestsTo("chat2")) - requestsBefore;
  // Round robin: HAProxy hands chat2 its share of every polling client's requests, which chat2
  // forwards to chat1 or chat3. Sticky: the cookies keep everything away from chat2.
  if (ROUND_ROBIN) assert.ok(viaChat2 > 0, "chat2 got requests to forward during the traffic");
  else assert.equal(viaChat2, 0, "behind the sticky balancer nothing reaches a replica that owns no session");
  const before = t.count();
  assert.ok(before > 0, "traffic flows before the kill");
  await chat2.kill();
  await cluster.waitBalancerUp();
  await sleep(3000); // traffic goes on with two replicas
  const acked = await t.finish(30000);
  assert.ok(t.count() > before, "traffic went on after the kill");
  await assertConverged(clients, roomId, acked, { marker: clients[0], ms: 30000 });

  const moved = clients.filter((c) => c.connects > 1);
  console.log(`# HAProxy sent chat2 ${viaChat2} requests (for sessions it does not own) before it died; ${moved.length} of ${clients.length} clients reconnected: ${moved.map((c) => c.label).join(", ") || "none"}`);
  for (const c of clients) {
    assert.ok(c.connected, `${c.label} connected at the end`);
    assert.match(replicaOf(c) ?? "", /^chat[13]$/, `${c.label} on a live replica`);
    if (c.connects > 1) assert.ok(c.syncs.reconnect >= 1, `${c.label} synced after reconnecting`);
  }
  // WebSocket-only clients hold one connection straight to their owner: chat2 never carried them.
  for (const c of clients.filter((c) => c.kind === "websocket" || !ROUND_ROBIN)) assert.equal(c.connects, 1, `${c.label} stayed connected:\n${describe(clients)}`);
});
