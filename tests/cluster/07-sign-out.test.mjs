// Cluster 7: signing out ends the session's live connections on every replica (issue #9): a
// signed-out tab, or a stolen cookie's socket, must not keep sending through another replica.
// "Sign out everywhere" ends every session of the user, wherever its sockets are.
import assert from "node:assert/strict";
import { account } from "../lib/fixtures.mjs";
import { request } from "../lib/net.mjs";
import { clusterTest, useCluster } from "./lib/cluster.mjs";
import { clusterClient } from "./lib/client.mjs";

const fx = useCluster("sign-out");

clusterTest(fx, "signing out on one replica disconnects that session's sockets on the others; other sessions stay", async () => {
  const [r1, r2, r3] = fx.cluster.replicas;
  const first = await account(fx.cluster.lbUrl, "sam");
  const second = (await account(fx.cluster.lbUrl, "sam")).cookie; // the same account: a second session

  const a1 = clusterClient(r1.url, first.cookie, { kind: "websocket", label: "sam-A@chat1", reconnection: false });
  const a2 = clusterClient(r2.url, first.cookie, { kind: "polling", label: "sam-A@chat2", reconnection: false });
  const b3 = clusterClient(r3.url, second, { kind: "websocket", label: "sam-B@chat3", reconnection: false });
  await Promise.all([a1.open(), a2.open(), b3.open()]);

  const out = await request(r3.url, "DELETE", "/api/session", { cookie: first.cookie });
  assert.equal(out.status, 204);
  await a1.until(() => !a1.connected && !a2.connected, 10000, "both of session A's sockets disconnected");
  for (const c of [a1, a2]) assert.equal(c.disconnects[0]?.reason, "io server disconnect", `${c.label}: ${JSON.stringify(c.disconnects)}`);
  assert.ok(b3.connected, "session B's socket is untouched");

  // Everywhere: session B ends too, from a replica where it has no socket.
  const all = await request(r1.url, "DELETE", "/api/sessions", { cookie: second });
  assert.equal(all.status, 204);
  await b3.until(() => !b3.connected, 10000, "session B's socket disconnected");
  assert.equal((await request(r2.url, "GET", "/api/me", { cookie: second })).status, 401);
});
