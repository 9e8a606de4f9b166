// Cluster 1: clients spread over the three replicas through HAProxy — polling-only, WebSocket-only
// and polling→upgrade — send concurrently; every client receives every room message exactly once,
// in seq order, and nobody loses their session.
//  - CLUSTER_LB=roundrobin (the default): no affinity at all. Every client connects through
//    HAProxy with no cookie, HAProxy hands each request (every poll, every POST, the upgrade) to
//    the next replica, and chatd forwards what reaches a replica other than the session's owner
//    (issue #14). Without forwarding the polling and upgrading clients fail ("Session ID unknown").
//  - CLUSTER_LB=sticky: one client of each kind pre-placed on each replica with HAProxy's SERVERID
//    cookie, plus some HAProxy places itself; polling clients stay on their replica.
import assert from "node:assert/strict";
import { account } from "../lib/fixtures.mjs";
import { sleep, until } from "../lib/wait.mjs";
import { ROUND_ROBIN, clusterTest, sessionTags, state, useCluster } from "./lib/cluster.mjs";
import { haproxyStats } from "./lib/infra.mjs";
import { assertConverged, assertNoAffinityCookie, clusterClient, joinRoom, replicaOf, spreadClients, traffic } from "./lib/client.mjs";

const fx = useCluster("fanout");

/** HAProxy's rows for the three replicas. */
async function serverRows() {
  return (await haproxyStats(state.haproxy.statsSocket)).filter((r) => r.pxname === "chat" && /^chat\d$/.test(r.svname));
}

/** Round robin: four clients of each kind, every one connected through HAProxy with no cookie. */
async function unplacedClients(lb, users) {
  const clients = [];
  let u = 0;
  for (const kind of ["polling", "websocket", "upgrade"])
    for (let i = 1; i <= 4; i++) {
      const user = users[u++ % users.length];
      clients.push(clusterClient(lb, user.cookie, { kind, label: `${user.user.name}/${kind}#${i}@lb`, reconnection: false }));
    }
  const failed = (await Promise.allSettled(clients.map((c) => c.open()))).find((r) => r.status === "rejected");
  if (failed) throw failed.reason;
  return clients;
}

const title = ROUND_ROBIN
  ? "round robin, no affinity: polling, WebSocket and upgrading clients all spread by HAProxy get every message once, in seq order, and keep their sessions"
  : "sticky: every client on every replica gets every message once, in seq order; polling clients stick";

clusterTest(fx, title, async () => {
  const lb = fx.cluster.lbUrl;
  const users = [];
  for (const name of ["ann", "ben", "cat", "dan", "eve", "fay"]) users.push(await account(lb, name));
  const before = await serverRows();
  const marks = fx.cluster.marks();
  const clients = ROUND_ROBIN ? await unplacedClients(lb, users) : await spreadClients(lb, users, { reconnection: false });
  const roomId = await joinRoom(clients, "fanout");

  // Upgrading clients reach WebSocket through HAProxy; polling ones stay on polling.
  await until(() => clients.filter((c) => c.kind === "upgrade").every((c) => c.transport === "websocket"), 15000, "every upgrading client on websocket");
  for (const c of clients.filter((c) => c.kind === "polling")) assert.equal(c.transport, "polling", c.label);

  // All clients send at once, for a few seconds.
  const t = traffic(clients, roomId, { everyMs: 300, tag: "fanout" });
  await sleep(5000);
  const acked = await t.finish();
  assert.ok(acked.length >= clients.length * 5, `only ${acked.length} messages acknowledged`);
  assert.deepEqual(t.errorAcks, [], "no send failed without faults");

  const { N } = await assertConverged(clients, roomId, acked, { marker: clients[0], ms: 20000 });
  assert.equal(N, acked.length + 1);

  // No client lost its session: every request reached the replica that owns its session, through
  // HAProxy's cookie (sticky) or chatd's forwarding (round robin); a request answered "Session ID
  // unknown" would have closed the connection.
  for (const c of clients) {
    assert.deepEqual(c.disconnects, [], `${c.label} was disconnected`);
    assert.equal(c.connects, 1, c.label);
    assert.ok(c.connected, `${c.label} still connected`);
  }

  // Every replica served requests during the test.
  const rows = await serverRows();
  const served = Object.fromEntries(["chat1", "chat2", "chat3"].map((name) => {
    const now = Number(rows.find((r) => r.svname === name)?.stot ?? 0);
    const then = Number(before.find((r) => r.svname === name)?.stot ?? 0);
    return [name, now - then];
  }));
  for (const [name, n] of Object.entries(served)) assert.ok(n > 0, `HAProxy sent nothing to ${name}: ${JSON.stringify(served)}`);

  if (ROUND_ROBIN) {
    // Nothing pinned a client: no balancer cookie anywhere. The sessions are owned by the
    // replicas HAProxy handed the handshakes to (told by the session id's tag).
    assertNoAffinityCookie(clients);
    const owners = {};
    for (const c of clients) owners[replicaOf(c)] = [...(owners[replicaOf(c)] ?? []), c.label];
    console.log(`# session owners: ${Object.entries(owners).map(([r, l]) => `${r} ${l.length}`).join(", ")}; requests per replica ${JSON.stringify(served)}; tags ${JSON.stringify([...sessionTags()])}`);
    assert.ok(Object.keys(owners).length >= 2, `HAProxy handed every handshake to one replica: ${JSON.stringify(owners)}`);
    // No replica turned a request away as an unknown session: each one that was not the owner's
    // was forwarded.
    fx.cluster.replicas.forEach((r, i) =>
      assert.doesNotMatch(r.logSince(marks[i]), /refused: Session ID unknown/, `${r.name} refused a request for a session it does not own`));
    // A polling client makes a request at least every pingInterval; spread over three replicas
    // by HAProxy, most of them reached a replica that does not own the session.
    const polling = clients.filter((c) => c.kind === "polling").length;
    assert.ok(Object.values(served).reduce((a, b) => a + b, 0) > polling * 3, `requests through HAProxy ${JSON.stringify(served)}`);
  } else {
    // The pre-placed polling clients are where they were sent; the others got a SERVERID from HAProxy.
    for (const c of clients.filter((c) => c.kind === "polling"))
      assert.match(c.serverCookie ?? "", /^chat[123]$/, `${c.label} has a SERVERID cookie`);
  }
  // Live delivery did the work: gaps (two replicas publishing out of seq order) may need a sync,
  // but every client got most of the messages live.
  for (const c of clients) {
    const live = c.liveCount(roomId);
    assert.ok(live >= N * 0.8, `${c.label}: only ${live} of ${N} messages arrived live (syncs ${JSON.stringify(c.syncs)})`);
  }
});
