#include "fanout_report.hpp"

#include <cmath>
#include <cstdio>

#include "report.hpp"
#include "window_cpu.hpp"

namespace {

void line(const char* k, const std::string& v) { printf("  %-14s %s\n", k, v.c_str()); }

void summary_connect_and_load(const Config& cfg, const RunRecord& rec, const Totals& t) {
  const ConnectOutcome& c = rec.connect;
  const int C = cfg.clients;
  line("target", cfg.targets_str() + "  (from " + std::to_string(cfg.source_ips.size()) + " source IPs" +
                     (cfg.targets.size() > 1 ? "; client i on target i mod " + std::to_string(cfg.targets.size()) : "") +
                     ")");
  line("loadgen", std::to_string(cfg.threads) + " receiver thread(s) + 1 sender thread, CPUs " + allowed_cpus_list());
  line("connect", fmt_int(double(c.connected)) + "/" + fmt_int(C) + " connected, " + std::to_string(c.failed) +
                      " failed, " + fmt(c.span_s, 2) + " s (" + fmt_int(c.connected / c.span_s) + "/s, asked " +
                      fmt_int(cfg.connect_rate) + "/s), loadgen CPU " + fmt(100.0 * c.loadgen_cpu_s / c.seconds, 0) +
                      "%; handshake p50 " + fmt(t.ct.pct(50) / 1000, 2) + " ms p99 " + fmt(t.ct.pct(99) / 1000, 2) +
                      " ms");
  line("load", fmt_int(C) + " clients, " + std::to_string(cfg.senders) + " senders, " + fmt(cfg.rate, 3) +
                   " msg/s total, " + fmt(cfg.duration, 1) + " s measured after " + fmt(cfg.warmup, 1) + " s warm-up");
}

void summary_deliveries(const Config& cfg, const RunRecord& rec, const Totals& t, const Figures& f) {
  const double D = cfg.duration;
  line("sent", fmt_int(double(t.sent_m)) + " msgs (" + fmt(double(t.sent_m) / D, 1) + "/s)" +
                   (t.send_failed ? ", " + std::to_string(t.send_failed) + " not sent (socket closed)" : ""));
  line("deliveries", fmt_int(f.deliveries_per_s) + "/s  (target " + fmt_int(cfg.rate * cfg.clients) + "/s)");
  line("lost", fmt_int(double(f.lost)) + " of " + fmt_int(double(f.expected)) + " (" +
                   fmt(f.expected ? 100.0 * double(f.lost) / double(f.expected) : NAN, 4) + "%), waited " +
                   fmt(rec.drain_s, 2) + " s after the last send; per client " + std::to_string(t.pc_min) + ".." +
                   std::to_string(t.pc_max));
  line("latency", "p50 " + fmt(t.lat.pct(50) / 1000, 2) + " ms  p95 " + fmt(t.lat.pct(95) / 1000, 2) + " ms  p99 " +
                      fmt(t.lat.pct(99) / 1000, 2) + " ms  max " + fmt(double(t.lat.max) / 1000, 2) + " ms");
}

void summary_cpu(const Config& cfg, const RunRecord& rec, const Totals& t, const Figures& f) {
  const double D = cfg.duration;
  if (!cfg.server_pids.empty())
    line("server CPU", fmt(100.0 * f.srv_cpu / D, 1) + "% of one CPU; " +
                           fmt(t.recv_window ? f.srv_cpu * 1e6 / double(t.recv_window) : NAN, 3) +
                           " CPU-s per 1M deliveries; RSS " + fmt_int(double(rec.rss_kib)) + " KiB");
  if (!cfg.extra_pids.empty()) line("extra CPU", extra_cpu_text(cfg, f.extra_pct) + "  (% of one CPU)");
  std::string m;
  for (auto& [k, v] : f.machine) m += k + " " + fmt(v.first, 0) + "% busy (softirq " + fmt(v.second, 0) + "%)  ";
  line("machine CPUs", m);
  std::string a, b;
  for (int i = 0; i <= f.last_tl && i < 40; i++) {
    a += std::to_string(llround(double(t.tl[size_t(i)]) / 1000)) + " ";
    b += std::to_string(llround(double(t.tlmax[size_t(i)]) / 1000)) + " ";
  }
  line("per second", "deliveries/1000: " + a);
  line("", "max latency ms: " + b);
  std::string th;
  for (size_t i = 0; i < f.thr_pct.size(); i++)
    th += (i == 0 ? "sender " : "recv" + std::to_string(i) + " ") + fmt(f.thr_pct[i], 0) + "% ";
  line("loadgen", fmt(f.lg_pct, 1) + "% of one CPU (" + fmt(f.lg_cpu > 0 ? 100 * f.lg_sys / f.lg_cpu : NAN, 0) +
                      "% in the kernel, " + fmt(t.recv_window ? f.lg_cpu * 1e6 / double(t.recv_window) : NAN, 2) +
                      " us per delivery; threads: " + th + "); send lag p99 " + fmt(f.lag_p99_ms, 2) + " ms max " +
                      fmt(double(t.lag.max) / 1000, 2) + " ms");
}

void summary_health(const RunRecord& rec, const Totals& t, const Figures& f) {
  line("disconnects", std::to_string(t.disc) + "  (open at end " + std::to_string(t.open_at_end) + ")");
  if (t.dups || t.text_bad || t.recv_other)
    line("anomalies", std::to_string(t.dups) + " duplicate/reordered, " + std::to_string(t.text_bad) +
                          " altered text, " + std::to_string(t.recv_other) + " other messages");
  if (!t.errors.empty()) line("errors", errors_json(t.errors));
  if (std::isfinite(f.other_pct))
    line("other procs",
         fmt(f.other_pct, 1) + "% CPU" + (f.other_pct <= 10 ? "" : "  — MACHINE NOT QUIET, repeat this run"));
  line("loadavg", "start " + rec.load_start + ", end " + rec.load_end);
  std::string r;
  for (auto& x : f.reasons) r += (r.empty() ? "" : "; ") + x;
  line("bottleneck", f.saturated ? "LOAD GENERATOR SATURATED (" + r + ") — figures bound the server from below"
                                 : "load generator not saturated");
  if (!f.error.empty()) line("error", f.error);
  line("status", f.ok ? "ok" : "NOT OK");
}

void json_deliveries(Json& j, const Config& cfg, const RunRecord& rec, const Totals& t, const Figures& f) {
  const double D = cfg.duration;
  j.boolean("ok", f.ok);
  j.str("scenario", "fanout");
  j.str("tool", "fanout-cpp");
  if (!cfg.label.empty()) j.str("label", cfg.label);
  j.str("target", cfg.host + ":" + std::to_string(cfg.port));
  j.raw("targets", cfg.targets_json());
  j.integer("clients", cfg.clients);
  j.integer("senders", cfg.senders);
  j.num("rate_msgs_per_s", cfg.rate, 3);
  j.num("duration_s", D, 3);
  j.num("warmup_s", cfg.warmup, 3);
  j.integer("text_bytes", cfg.text_bytes);
  j.integer("sent", (long long)t.sent_m);
  j.num("sent_per_s", double(t.sent_m) / D, 1);
  j.integer("send_failed", (long long)t.send_failed);
  j.integer("expected_deliveries", (long long)f.expected);
  j.integer("delivered", (long long)t.recv_m);
  j.integer("lost", f.lost);
  j.num("lost_pct", f.expected ? 100.0 * double(f.lost) / double(f.expected) : NAN, 4);
  j.integer("per_client_received_min", (long long)t.pc_min);
  j.integer("per_client_received_max", (long long)t.pc_max);
  j.num("deliveries_per_s", f.deliveries_per_s, 1);
  j.num("target_deliveries_per_s", cfg.rate * cfg.clients, 1);
  j.num("drain_s", rec.drain_s, 2);
  j.num("drain_limit_s", cfg.drain, 2);
  j.open("latency_ms");
  j.num("p50", t.lat.pct(50) / 1000);
  j.num("p95", t.lat.pct(95) / 1000);
  j.num("p99", t.lat.pct(99) / 1000);
  j.num("max", t.lat.n ? double(t.lat.max) / 1000 : NAN);
  j.num("mean", t.lat.mean() / 1000);
  j.close();
}

void json_cpu(Json& j, const Config& cfg, const RunRecord& rec, const Totals& t, const Figures& f) {
  const double D = cfg.duration;
  j.open("server");
  if (!cfg.server_pids.empty()) {
    j.num("cpu_s", f.srv_cpu, 2);
    j.num("cpu_pct", 100.0 * f.srv_cpu / D, 1);
    j.num("cpu_s_per_1m_deliveries", t.recv_window ? f.srv_cpu * 1e6 / double(t.recv_window) : NAN, 3);
    j.integer("rss_kib", rec.rss_kib);
  } else {
    j.null("cpu_pct");
    j.null("cpu_s_per_1m_deliveries");
  }
  j.close();
  json_extra_cpu(j, cfg, f.extra_pct);
  j.num("loadgen_cpu_pct", f.lg_pct, 1);
  j.num("loadgen_cpu_pct_of_allowed", f.lg_pct_allowed, 1);
  j.integer("loadgen_cpus_allowed", rec.cpus_allowed);
  j.num("loadgen_cpu_system_share_pct", f.lg_cpu > 0 ? 100 * f.lg_sys / f.lg_cpu : NAN, 1);
  j.num("loadgen_cpu_us_per_delivery", t.recv_window ? f.lg_cpu * 1e6 / double(t.recv_window) : NAN, 3);
  j.open("loadgen_thread_cpu_pct");
  for (size_t i = 0; i < f.thr_pct.size(); i++)
    j.num(i == 0 ? "sender" : ("recv" + std::to_string(i)).c_str(), f.thr_pct[i], 1);
  j.close();
  j.open("send_lag_ms");
  j.num("p99", f.lag_p99_ms);
  j.num("max", t.lag.n ? double(t.lag.max) / 1000 : NAN);
  j.close();
  j.boolean("loadgen_saturated", f.saturated);
  std::string r = "[";
  for (size_t i = 0; i < f.reasons.size(); i++) r += (i ? ",\"" : "\"") + Json::esc(f.reasons[i]) + "\"";
  j.raw("loadgen_saturation_reasons", r + "]");
}

void json_health_and_connect(Json& j, const Config& cfg, const RunRecord& rec, const Totals& t) {
  const ConnectOutcome& c = rec.connect;
  j.integer("disconnects", (long long)t.disc);
  j.integer("open_at_end", (long long)t.open_at_end);
  j.integer("duplicate_or_reordered", (long long)t.dups);
  j.integer("text_altered", (long long)t.text_bad);
  j.integer("other_messages", (long long)t.recv_other);
  j.integer("pings", (long long)t.pings);
  j.integer("received_warmup", (long long)t.recv_w);
  j.integer("sent_warmup", (long long)t.sent_w);
  j.raw("errors", errors_json(t.errors));
  j.open("connect");
  j.integer("connected", (long long)c.connected);
  j.integer("failed", (long long)c.failed);
  j.num("seconds", c.span_s, 3);
  j.num("rate_per_s", c.connected / c.span_s, 1);
  j.num("requested_rate_per_s", cfg.connect_rate, 1);
  j.num("handshake_p50_ms", t.ct.pct(50) / 1000);
  j.num("handshake_p99_ms", t.ct.pct(99) / 1000);
  j.num("loadgen_cpu_pct", 100.0 * c.loadgen_cpu_s / c.seconds, 1);
  j.close();
}

void json_machine_and_timeline(Json& j, const Config& cfg, const RunRecord& rec, const Totals& t, const Figures& f) {
  json_machine(j, cfg, rec, f.machine, f.other_pct);
  std::string a = "[", b = "[";
  for (int i = 0; i <= f.last_tl; i++) {
    a += (i ? "," : "") + std::to_string(t.tl[size_t(i)]);
    b += (i ? "," : "") + fmt(double(t.tlmax[size_t(i)]) / 1000, 1);
  }
  j.open("timeline");
  j.str("note", "per second from the start of sending (warm-up included), by receive time");
  j.raw("deliveries", a + "]");
  j.raw("max_latency_ms", b + "]");
  j.close();
}

}  // namespace

void print_connect_failure(const Config& cfg, const ConnectOutcome& c, const std::map<std::string, uint64_t>& errors) {
  printf("\n== fanout (fanout-cpp) ==\n  connect        %s/%s connected, %llu failed, gave up after %.2f s\n",
         fmt_int(double(c.connected)).c_str(), fmt_int(cfg.clients).c_str(), (unsigned long long)c.failed, c.seconds);
  printf("  errors         %s\n  status         NOT OK: not every client connected; nothing sent\n\n",
         errors_json(errors).c_str());
  Json j;
  j.open(nullptr);
  j.boolean("ok", false);
  j.str("scenario", "fanout");
  j.str("tool", "fanout-cpp");
  j.integer("clients", cfg.clients);
  j.open("connect");
  j.integer("connected", (long long)c.connected);
  j.integer("failed", (long long)c.failed);
  j.num("seconds", c.seconds, 3);
  j.raw("errors", errors_json(errors));
  j.close();
  j.str("error", "only " + std::to_string(c.connected) + " of " + std::to_string(cfg.clients) + " clients connected");
  j.close();
  printf("%s\n", j.s.c_str());
}

void print_summary(const Config& cfg, const RunRecord& rec, const Totals& t, const Figures& f) {
  printf("\n== fanout (fanout-cpp)%s%s ==\n", cfg.label.empty() ? "" : " — ", cfg.label.c_str());
  summary_connect_and_load(cfg, rec, t);
  summary_deliveries(cfg, rec, t, f);
  summary_cpu(cfg, rec, t, f);
  summary_health(rec, t, f);
  printf("\n");
}

void print_json(const Config& cfg, const RunRecord& rec, const Totals& t, const Figures& f) {
  Json j;
  j.open(nullptr);
  json_deliveries(j, cfg, rec, t, f);
  json_cpu(j, cfg, rec, t, f);
  json_health_and_connect(j, cfg, rec, t);
  json_machine_and_timeline(j, cfg, rec, t, f);
  if (!f.error.empty()) j.str("error", f.error);
  j.close();
  printf("%s\n", j.s.c_str());
}
