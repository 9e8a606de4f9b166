// Summary of bench/run.sh chat: the JSON lines of fanout-cpp --scenario chat (labels
// "<server>/<users>:<senders>:<rate>:<rooms>/<rep>"), medians per server and configuration,
// and chatd's CPU per stored message against the peer's.
//
//   node bench/loadgen-cpp/summarize-chat.mjs build/bench/results/chat.jsonl
import { readFileSync } from "node:fs";

const rows = [];
for (const file of process.argv.slice(2)) {
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (!line.trim()) continue;
    try {
      rows.push(JSON.parse(line));
    } catch {
      console.error(`skipped a line that is not JSON: ${line.slice(0, 80)}`);
    }
  }
}

const median = (xs) => {
  const s = xs.filter((x) => typeof x === "number" && Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return null;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const num = (x, d = 0) => (x === null || x === undefined ? "n/a" : x.toFixed(d));

// server -> config -> runs, in the order first seen
const groups = new Map();
for (const r of rows) {
  const [server = "?", config = "?"] = String(r.label ?? "").split("/");
  const key = `${config}\u0000${server}`;
  if (!groups.has(key)) groups.set(key, { config, server, runs: [] });
  groups.get(key).runs.push(r);
}

const cols = [
  ["users:snd:rate:rooms", 20], ["server", 6], ["runs ok/clean", 13], ["stored/s", 9], ["ack p50 ms", 10],
  ["ack p99 ms", 10], ["CPU ms/msg", 10], ["CPU %", 6], ["lost", 6], ["RSS MiB", 7], ["sign-in p50 ms", 14],
  ["quiet", 5],
];
const row = (cells) => cells.map((c, i) => String(c).padStart(cols[i][1])).join("  ");
console.log(`\nchat path: median of each server's runs per configuration (${rows.length} runs)`);
console.log(row(cols.map((c) => c[0])));
const perMsg = new Map(); // config -> server -> median CPU ms per stored message
for (const { config, server, runs } of groups.values()) {
  const ok = runs.filter((r) => r.ok);
  const cpuMs = median(ok.map((r) => r.server?.cpu_ms_per_stored_msg));
  if (!perMsg.has(config)) perMsg.set(config, new Map());
  perMsg.get(config).set(server, cpuMs);
  const lost = runs.reduce((a, r) => a + (r.lost ?? 0) + (r.no_answer ?? 0), 0);
  console.log(
    row([
      config, server, `${ok.length}/${runs.filter((r) => r.clean).length} of ${runs.length}`,
      num(median(ok.map((r) => r.stored_msgs_per_s))), num(median(ok.map((r) => r.ack_latency_ms?.p50)), 2),
      num(median(ok.map((r) => r.ack_latency_ms?.p99)), 1), num(cpuMs, 3), num(median(ok.map((r) => r.server?.cpu_pct))),
      lost, num(median(ok.map((r) => (r.server?.rss_kib ?? NaN) / 1024))),
      num(median(runs.map((r) => r.sign_in?.p50_ms))), `${runs.filter((r) => r.machine_quiet).length}/${runs.length}`,
    ]),
  );
}
console.log("  lost: deliveries owed but not received plus messages without an ack, summed over the runs;");
console.log("  runs that are not clean list their problems in the JSON line (\"problems\").");
for (const [config, servers] of perMsg) {
  const c = servers.get("chatd"), p = servers.get("peer");
  if (c && p) console.log(`${config}: chatd uses ${(c / p).toFixed(2)} of the peer's CPU per stored message (${c.toFixed(3)} vs ${p.toFixed(3)} ms)`);
}
