// Cluster 6 (issue #5): SIGTERM one replica during traffic. It says "not ready" at once while it
// still serves (CHAT_DRAIN_DELAY_MS), then refuses new connections and closes its sessions; its
// clients reconnect through HAProxy to the other replicas, sync, and end with every acknowledged
// message, none twice; the replica exits with code 0 within its grace period, sanitizer-clean.
import assert from "node:assert/strict";
import { account } from "../lib/fixtures.mjs";
import { request } from "../lib/net.mjs";
import { sleep, until } from "../lib/wait.mjs";
import { clusterTest, useCluster } from "./lib/cluster.mjs";
import { assertConverged, joinRoom, replicaOf, spreadClients, traffic } from "./lib/client.mjs";

const DRAIN_DELAY_MS = 2000;
const GRACE_MS = 8000;
const fx = useCluster("drain", {
  env: { CHAT_DRAIN_DELAY_MS: String(DRAIN_DELAY_MS), CHAT_SHUTDOWN_GRACE_MS: String(GRACE_MS) },
});

clusterTest(fx, "a SIGTERMed replica stops being ready, moves its clients away and exits cleanly", async () => {
  const cluster = fx.cluster;
  const lb = cluster.lbUrl;
  const users = [];
  for (const name of ["ada", "bo", "cy", "di", "ed", "fay"]) users.push(await account(lb, name));
  const clients = await spreadClients(lb, users);
  const roomId = await joinRoom(clients, "drain");
  const victim = cluster.replica(1);
  const moved = clients.filter((c) => c.label.endsWith("@chat2"));
  assert.equal(moved.length, 3);

  const ready = await request(victim.url, "GET", "/readyz");
  assert.equal(ready.status, 200, `ready before SIGTERM: ${ready.text}`);
  assert.deepEqual(ready.json, { status: "ready" });

  const t = traffic(clients, roomId, { everyMs: 250, tag: "drain" });
  await sleep(2000);
  const before = t.count();
  assert.ok(before > 0, "traffic flows before SIGTERM");

  const termAt = Date.now();
  const stopped = victim.stop({ graceMs: GRACE_MS + DRAIN_DELAY_MS + 5000 });
  // Within the drain delay: still serving, but not ready.
  const readyzStatus = async () => {
    try {
      return (await request(victim.url, "GET", "/readyz", { ms: 1000 })).status;
    } catch (e) {
      return `error ${e.message}`;
    }
  };
  await until(async () => (await readyzStatus()) === 503, DRAIN_DELAY_MS, "the draining replica's /readyz answering 503", { every: 50 });
  const notReady = await request(victim.url, "GET", "/readyz");
  assert.equal(notReady.status, 503);
  assert.deepEqual(notReady.json.reasons, ["draining"]);
  // Its clients stay put until the delay is over.
  assert.ok(moved.every((c) => c.connects === 1 && c.connected), "clients are moved only after the delay");

  await stopped; // exit code 0 within the grace period, no sanitizer report (Chatd.stop checks)
  const exitMs = Date.now() - termAt;
  assert.ok(exitMs < DRAIN_DELAY_MS + GRACE_MS + 2000, `exited after ${exitMs} ms`);
  await assert.rejects(request(victim.url, "GET", "/healthz", { ms: 1000 }), "the stopped replica refuses connections");

  await until(() => moved.every((c) => c.connected && c.connects >= 2), 30000,
    () => `chat2's clients reconnected: ${moved.map((c) => `${c.label} connected=${c.connected} connects=${c.connects}`).join(", ")}`);
  await cluster.waitBalancerUp();
  await sleep(2000);
  const acked = await t.finish(30000);
  assert.ok(t.count() > before, "traffic went on after the drain");
  await assertConverged(clients, roomId, acked, { marker: clients[0], ms: 30000 });
  for (const c of moved) {
    assert.ok(c.syncs.reconnect >= 1, `${c.label} synced after reconnecting`);
    // Sticky: its new SERVERID cookie; round robin: the owner of its new session.
    if (c.kind === "polling") assert.match(replicaOf(c) ?? "", /^chat[13]$/, `${c.label} is now on a live replica`);
  }
  const log = victim.output();
  assert.match(log, /drain: not ready; still serving for 2000 ms/);
  assert.match(log, /drain: refusing new connections/);
});
