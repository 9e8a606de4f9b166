// What operators rely on (issue #5): /metrics counts what happened, in valid Prometheus text, and
// LOG_FORMAT=json writes one JSON object per line. (Probes, --health-check and the SIGTERM drain
// are covered by tests/deploy/chatd-probes.test.mjs and tests/cluster/06-drain.test.mjs.)
import assert from "node:assert/strict";
import { connectChat, newClientId } from "../lib/chat-client.mjs";
import { serverTest, useChatServer } from "../lib/chat-server.mjs";
import { account } from "../lib/fixtures.mjs";
import { request } from "../lib/net.mjs";

const fx = useChatServer({ args: ["--log-format", "json"] });

/** {name{labels} -> value} from Prometheus text, checking every line's syntax. */
function parseMetrics(text) {
  const values = new Map();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("# HELP ") || line.startsWith("# TYPE ")) continue;
    const m = /^([a-z_]+(?:\{[a-z_]+="[^"]*"\})?) (-?[0-9.e+-]+|\+Inf|NaN)$/.exec(line);
    assert.ok(m, `not a Prometheus sample line: ${JSON.stringify(line)}`);
    values.set(m[1], Number(m[2]));
  }
  return values;
}

async function metrics() {
  const res = await request(fx.server, "GET", "/metrics");
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type"), /^text\/plain; version=0\.0\.4/);
  return parseMetrics(res.text);
}

serverTest(fx, "/metrics counts connections, packets, broadcasts, stored messages and store latency", async () => {
  const before = await metrics();
  for (const name of ["chatd_connections", "chatd_connections_opened_total", "chatd_slow_clients_dropped_total",
    "chatd_packets_in_total", "chatd_packets_out_total", "chatd_broadcasts_total", "chatd_rooms_active",
    "chatd_messages_stored_total", "chatd_store_seconds_count", "chatd_store_seconds_sum", "chatd_ready"])
    assert.ok(before.has(name), `${name} is exported`);
  assert.equal(before.get('chatd_store_seconds_bucket{le="+Inf"}'), before.get("chatd_store_seconds_count"));

  const alice = await account(fx.server, "metric-alice");
  const client = await connectChat(fx.server, alice.cookie, { label: "alice" });
  const general = client.ready.rooms.find((r) => r.name === "general");
  const stored = await client.send(general.id, "counted", newClientId());
  assert.equal(stored.text, "counted");
  await client.waitFor("message", (m) => m.text === "counted");

  const after = await metrics();
  assert.equal(after.get("chatd_connections"), before.get("chatd_connections") + 1);
  assert.equal(after.get("chatd_connections_opened_total"), before.get("chatd_connections_opened_total") + 1);
  assert.equal(after.get("chatd_messages_stored_total"), before.get("chatd_messages_stored_total") + 1);
  assert.ok(after.get("chatd_packets_in_total") >= before.get("chatd_packets_in_total") + 2, "connect + send");
  assert.ok(after.get("chatd_broadcasts_total") >= before.get("chatd_broadcasts_total") + 1);
  assert.ok(after.get("chatd_packets_out_total") >= before.get("chatd_packets_out_total") + 3, "ready, message, ack");
  assert.ok(after.get("chatd_store_seconds_count") > before.get("chatd_store_seconds_count"));
  assert.equal(after.get("chatd_rooms_active"), 1);
  assert.equal(after.get("chatd_ready"), 1);
  client.close();
});

serverTest(fx, "LOG_FORMAT=json: every log line is one JSON object with time, level and msg", async () => {
  // The sign-in above, connections and disconnects have all been logged by now.
  const lines = fx.server.output().split("\n").filter((l) => l !== "" && !l.startsWith("=== chatd "));
  assert.ok(lines.length >= 5, `some log lines: ${lines.length}`);
  for (const line of lines) {
    let entry;
    assert.doesNotThrow(() => (entry = JSON.parse(line)), `not JSON: ${line}`);
    assert.equal(typeof entry.time, "string");
    assert.match(entry.level, /^(trace|debug|info|warning|error|critical)$/);
    assert.equal(typeof entry.msg, "string");
  }
});
