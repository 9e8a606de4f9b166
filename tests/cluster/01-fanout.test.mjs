// Cluster 1: clients spread over the three replicas through HAProxy — polling-only, WebSocket-only
// and polling→upgrade on each replica, plus clients HAProxy places itself — send concurrently;
// every client receives every room message exactly once, in seq order, and polling clients stay
// on their replica (cookie stickiness).
import assert from "node:assert/strict";
import { account } from "../lib/fixtures.mjs";
import { sleep, until } from "../lib/wait.mjs";
import { clusterTest, state, useCluster } from "./lib/cluster.mjs";
import { haproxyStats } from "./lib/infra.mjs";
import { assertConverged, joinRoom, spreadClients, traffic } from "./lib/client.mjs";

const fx = useCluster("fanout");

clusterTest(fx, "every client on every replica gets every message once, in seq order; polling clients stick", async () => {
  const lb = fx.cluster.lbUrl;
  const users = [];
  for (const name of ["ann", "ben", "cat", "dan", "eve", "fay"]) users.push(await account(lb, name));
  const clients = await spreadClients(lb, users, { reconnection: false });
  const roomId = await joinRoom(clients, "fanout");

  // Upgrading clients reach WebSocket through HAProxy; polling ones stay on polling.
  await until(() => clients.filter((c) => c.kind === "upgrade").every((c) => c.transport === "websocket"), 15000, "every upgrading client on websocket");
  for (const c of clients.filter((c) => c.kind === "polling")) assert.equal(c.transport, "polling", c.label);

  // Every replica serves clients right now.
  const rows = (await haproxyStats(state.haproxy.statsSocket)).filter((r) => r.pxname === "chat" && /^chat\d$/.test(r.svname));
  for (const name of ["chat1", "chat2", "chat3"]) {
    const row = rows.find((r) => r.svname === name);
    assert.ok(Number(row?.stot) > 0, `HAProxy sent nothing to ${name}: ${JSON.stringify(row)}`);
  }

  // All clients send at once, for a few seconds.
  const t = traffic(clients, roomId, { everyMs: 300, tag: "fanout" });
  await sleep(5000);
  const acked = await t.finish();
  assert.ok(acked.length >= clients.length * 5, `only ${acked.length} messages acknowledged`);
  assert.deepEqual(t.errorAcks, [], "no send failed without faults");

  const { N } = await assertConverged(clients, roomId, acked, { marker: clients[0], ms: 20000 });
  assert.equal(N, acked.length + 1);

  // No client lost its session: HAProxy kept every polling request on its replica (a request on
  // another replica would have been refused as an unknown session and closed the connection).
  for (const c of clients) {
    assert.deepEqual(c.disconnects, [], `${c.label} was disconnected`);
    assert.equal(c.connects, 1, c.label);
    assert.ok(c.connected, `${c.label} still connected`);
  }
  // The pre-placed polling clients are where they were sent; the others got a SERVERID from HAProxy.
  for (const c of clients.filter((c) => c.kind === "polling"))
    assert.match(c.serverCookie ?? "", /^chat[123]$/, `${c.label} has a SERVERID cookie`);
  // Live delivery did the work: gaps (two replicas publishing out of seq order) may need a sync,
  // but every client got most of the messages live.
  for (const c of clients) {
    const live = c.liveCount(roomId);
    assert.ok(live >= N * 0.8, `${c.label}: only ${live} of ${N} messages arrived live (syncs ${JSON.stringify(c.syncs)})`);
  }
});
