#include "chat_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "proc_stats.hpp"
#include "report.hpp"

namespace {

void line(const char* k, const std::string& v) { printf("  %-14s %s\n", k, v.c_str()); }

std::string ms(double us) { return fmt(us / 1000, 2) + " ms"; }

// Deliveries per second the load asks for: each sender's share of R times its room's members.
double target_deliveries_per_s(const Config& cfg) {
  double d = 0;
  for (int i = 0; i < cfg.senders; i++) {
    int k = i % cfg.rooms;
    int members = cfg.clients / cfg.rooms + (k < cfg.clients % cfg.rooms ? 1 : 0);
    d += cfg.rate / cfg.senders * members;
  }
  return d;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (auto& x : v) s += (s.empty() ? "" : "; ") + x;
  return s;
}

std::string json_strings(const std::vector<std::string>& v) {
  std::string r = "[";
  for (size_t i = 0; i < v.size(); i++) r += (i ? ",\"" : "\"") + Json::esc(v[i]) + "\"";
  return r + "]";
}

void summary_setup(const Config& cfg, const RunRecord& rec, const ChatTotals& t) {
  const ConnectOutcome& c = rec.connect;
  line("target", cfg.targets_str() + "  (from " + std::to_string(cfg.source_ips.size()) + " source IPs" +
                     (cfg.targets.size() > 1 ? "; user i on target i mod " + std::to_string(cfg.targets.size()) : "") +
                     ")");
  line("loadgen", std::to_string(cfg.threads) + " receiver thread(s) + 1 sender thread, CPUs " + allowed_cpus_list());
  line("sign-in", fmt_int(double(t.sign_in.n)) + "/" + fmt_int(cfg.clients) + " signed in (users b" + cfg.run_tag +
                      "-*), " + std::to_string(t.sign_in_failed) + " failed, " + std::to_string(t.sign_in_retries) +
                      " retried; p50 " + ms(t.sign_in.pct(50)) + " p99 " + ms(t.sign_in.pct(99)) + ", " +
                      std::to_string(cfg.max_sign_ins) + " at once");
  line("connect", fmt_int(double(c.connected)) + "/" + fmt_int(cfg.clients) + " ready in " + fmt(c.span_s, 2) +
                      " s (sign-in included); WebSocket to ready p50 " + ms(t.ct.pct(50)) + " p99 " + ms(t.ct.pct(99)));
  line("load", fmt_int(cfg.clients) + " users in " +
                   (cfg.rooms == 1 ? std::string("general") : std::to_string(cfg.rooms) + " rooms bench-*") + ", " +
                   std::to_string(cfg.senders) + " senders, " + fmt(cfg.rate, 3) + " msg/s total, " +
                   fmt(cfg.duration, 1) + " s measured after " + fmt(cfg.warmup, 1) + " s warm-up, text " +
                   std::to_string(cfg.text_bytes) + " bytes");
}

void summary_messages(const Config& cfg, const RunRecord& rec, const ChatTotals& t, const ChatFigures& f) {
  const double D = cfg.duration;
  line("sent", fmt_int(double(t.sent_m)) + " msgs (" + fmt(double(t.sent_m) / D, 1) + "/s)" +
                   (t.send_failed ? ", " + std::to_string(t.send_failed) + " not sent (socket closed)" : ""));
  line("acks", fmt_int(double(t.acked_ok_m)) + " ok, " + fmt_int(double(t.ack_err_m)) + " refused " +
                   errors_json(t.ack_errors) + ", " + fmt_int(double(t.no_answer_m)) + " no answer");
  line("stored", fmt_int(f.stored_per_s) + " msgs/s (acks ok inside the window)");
  line("ack latency", "p50 " + ms(t.ack_lat.pct(50)) + "  p95 " + ms(t.ack_lat.pct(95)) + "  p99 " +
                          ms(t.ack_lat.pct(99)) + "  max " + ms(t.ack_lat.n ? double(t.ack_lat.max) : NAN));
  line("deliveries", fmt_int(f.deliveries_per_s) + "/s  (target " + fmt_int(target_deliveries_per_s(cfg)) + "/s)");
  line("lost", fmt_int(double(f.lost)) + " of " + fmt_int(double(t.owed_m)) + " owed (acked ok × room members), " +
                   "waited " + fmt(rec.drain_s, 2) + " s after the last send; per user " + std::to_string(t.pc_min) +
                   ".." + std::to_string(t.pc_max));
  line("seq check", std::to_string(t.seq_gaps) + " skipped, " + std::to_string(t.dups) + " duplicate/reordered, " +
                        std::to_string(t.other_room) + " from another room; at the end " + std::to_string(t.seq_holes) +
                        " never delivered, " + std::to_string(t.seq_dups) + " twice, " +
                        std::to_string(t.dups - std::min(t.dups, t.seq_dups)) + " overtaken");
  line("latency", "p50 " + ms(t.lat.pct(50)) + "  p95 " + ms(t.lat.pct(95)) + "  p99 " + ms(t.lat.pct(99)) +
                      "  max " + ms(t.lat.n ? double(t.lat.max) : NAN) + "  (send to delivery)");
}

void summary_cpu(const Config& cfg, const RunRecord& rec, const ChatTotals& t, const ChatFigures& f) {
  const double D = cfg.duration;
  const WindowCpu& w = f.cpu;
  if (!cfg.server_pids.empty())
    line("server CPU", fmt(100.0 * w.srv_cpu / D, 1) + "% of one CPU; " + fmt(f.cpu_ms_per_stored, 3) +
                           " ms per stored message; RSS " + fmt_int(double(rec.rss_kib)) + " KiB" +
                           (cfg.server_pids.size() > 1 ? " (" + std::to_string(cfg.server_pids.size()) + " pids)" : ""));
  if (!cfg.extra_pids.empty()) line("extra CPU", extra_cpu_text(cfg, w.extra_pct) + "  (% of one CPU)");
  std::string m;
  for (auto& [k, v] : w.machine) m += k + " " + fmt(v.first, 0) + "% busy (softirq " + fmt(v.second, 0) + "%)  ";
  line("machine CPUs", m);
  std::string a, b, c;
  for (int i = 0; i <= f.last_tl && i < 40; i++) {
    a += std::to_string(t.tl_acked[size_t(i)]) + " ";
    b += std::to_string(llround(double(t.tl[size_t(i)]) / 1000)) + " ";
    c += std::to_string(llround(double(t.tlmax[size_t(i)]) / 1000)) + " ";
  }
  line("per second", "stored: " + a);
  line("", "deliveries/1000: " + b);
  line("", "max latency ms: " + c);
  std::string th;
  for (size_t i = 0; i < w.thr_pct.size(); i++)
    th += (i == 0 ? "sender " : "recv" + std::to_string(i) + " ") + fmt(w.thr_pct[i], 0) + "% ";
  line("loadgen", fmt(w.lg_pct, 1) + "% of one CPU (" + fmt(w.lg_cpu > 0 ? 100 * w.lg_sys / w.lg_cpu : NAN, 0) +
                      "% in the kernel; threads: " + th + "); send lag p99 " + fmt(f.lag_p99_ms, 2) + " ms max " +
                      fmt(double(t.lag.max) / 1000, 2) + " ms");
}

void summary_health(const RunRecord& rec, const ChatTotals& t, const ChatFigures& f) {
  line("disconnects", std::to_string(t.disc) + "  (open at end " + std::to_string(t.open_at_end) + ")");
  if (t.text_bad || t.recv_other || t.ack_unmatched || t.room_id_mismatch)
    line("anomalies", std::to_string(t.text_bad) + " altered text, " + std::to_string(t.recv_other) +
                          " unreadable messages, " + std::to_string(t.ack_unmatched) + " unknown acks, " +
                          std::to_string(t.room_id_mismatch) + " users in the wrong room");
  if (!t.errors.empty()) line("errors", errors_json(t.errors));
  if (std::isfinite(f.cpu.other_pct))
    line("other procs", fmt(f.cpu.other_pct, 1) + "% CPU" +
                            (f.cpu.other_pct <= 10 ? "" : "  — MACHINE NOT QUIET, repeat this run"));
  line("loadavg", "start " + rec.load_start + ", end " + rec.load_end);
  line("bottleneck", f.saturated ? "LOAD GENERATOR SATURATED (" + join(f.reasons) +
                                       ") — figures bound the server from below"
                                 : "load generator not saturated");
  if (!f.error.empty()) line("error", f.error);
  line("status", std::string(f.ok ? "ok" : "NOT OK") +
                     (f.problems.empty() ? ", clean" : ", NOT CLEAN: " + join(f.problems)));
}

void json_messages(Json& j, const Config& cfg, const RunRecord& rec, const ChatTotals& t, const ChatFigures& f) {
  const double D = cfg.duration;
  j.boolean("ok", f.ok);
  j.boolean("clean", f.problems.empty());
  j.raw("problems", json_strings(f.problems));
  j.str("scenario", "chat");
  j.str("tool", "fanout-cpp");
  if (!cfg.label.empty()) j.str("label", cfg.label);
  j.str("target", cfg.host + ":" + std::to_string(cfg.port));
  j.raw("targets", cfg.targets_json());
  j.integer("clients", cfg.clients);
  j.integer("senders", cfg.senders);
  j.integer("rooms", cfg.rooms);
  j.num("rate_msgs_per_s", cfg.rate, 3);
  j.num("duration_s", D, 3);
  j.num("warmup_s", cfg.warmup, 3);
  j.integer("text_bytes", cfg.text_bytes);
  j.integer("sent", (long long)t.sent_m);
  j.num("sent_per_s", double(t.sent_m) / D, 1);
  j.integer("send_failed", (long long)t.send_failed);
  j.integer("acked_ok", (long long)t.acked_ok_m);
  j.raw("ack_errors", errors_json(t.ack_errors));
  j.integer("ack_errors_total", (long long)t.ack_err_m);
  j.integer("no_answer", (long long)t.no_answer_m);
  j.integer("stored_in_window", (long long)t.acked_ok_window);
  j.num("stored_msgs_per_s", f.stored_per_s, 1);
  j.open("ack_latency_ms");
  j.num("p50", t.ack_lat.pct(50) / 1000);
  j.num("p95", t.ack_lat.pct(95) / 1000);
  j.num("p99", t.ack_lat.pct(99) / 1000);
  j.num("max", t.ack_lat.n ? double(t.ack_lat.max) / 1000 : NAN);
  j.num("mean", t.ack_lat.mean() / 1000);
  j.close();
  j.integer("expected_deliveries", (long long)t.owed_m);
  j.integer("delivered", (long long)t.recv_m);
  j.integer("lost", f.lost);
  j.num("lost_pct", t.owed_m ? 100.0 * double(f.lost) / double(t.owed_m) : NAN, 4);
  j.integer("seq_gaps", (long long)t.seq_gaps);
  j.integer("duplicate_or_reordered", (long long)t.dups);
  j.integer("seq_holes", (long long)t.seq_holes);
  j.integer("seq_duplicates", (long long)t.seq_dups);
  j.integer("seq_overtaken", (long long)(t.dups - std::min(t.dups, t.seq_dups)));
  j.integer("other_room_deliveries", (long long)t.other_room);
  j.integer("per_client_received_min", (long long)t.pc_min);
  j.integer("per_client_received_max", (long long)t.pc_max);
  j.num("deliveries_per_s", f.deliveries_per_s, 1);
  j.num("target_deliveries_per_s", target_deliveries_per_s(cfg), 1);
  j.open("latency_ms");
  j.num("p50", t.lat.pct(50) / 1000);
  j.num("p95", t.lat.pct(95) / 1000);
  j.num("p99", t.lat.pct(99) / 1000);
  j.num("max", t.lat.n ? double(t.lat.max) / 1000 : NAN);
  j.num("mean", t.lat.mean() / 1000);
  j.close();
  j.num("drain_s", rec.drain_s, 2);
  j.num("drain_limit_s", cfg.drain, 2);
}

void json_cpu(Json& j, const Config& cfg, const RunRecord& rec, const ChatTotals& t, const ChatFigures& f) {
  const double D = cfg.duration;
  const WindowCpu& w = f.cpu;
  j.open("server");
  if (!cfg.server_pids.empty()) {
    j.num("cpu_s", w.srv_cpu, 2);
    j.num("cpu_pct", 100.0 * w.srv_cpu / D, 1);
    j.num("cpu_ms_per_stored_msg", f.cpu_ms_per_stored, 4);
    j.num("cpu_s_per_1m_deliveries", t.recv_window ? w.srv_cpu * 1e6 / double(t.recv_window) : NAN, 3);
    j.integer("rss_kib", rec.rss_kib);
  } else {
    j.null("cpu_pct");
    j.null("cpu_ms_per_stored_msg");
  }
  j.close();
  json_extra_cpu(j, cfg, w.extra_pct);
  j.num("loadgen_cpu_pct", w.lg_pct, 1);
  j.num("loadgen_cpu_pct_of_allowed", w.lg_pct_allowed, 1);
  j.integer("loadgen_cpus_allowed", rec.cpus_allowed);
  j.num("loadgen_cpu_system_share_pct", w.lg_cpu > 0 ? 100 * w.lg_sys / w.lg_cpu : NAN, 1);
  j.open("loadgen_thread_cpu_pct");
  for (size_t i = 0; i < w.thr_pct.size(); i++)
    j.num(i == 0 ? "sender" : ("recv" + std::to_string(i)).c_str(), w.thr_pct[i], 1);
  j.close();
  j.open("send_lag_ms");
  j.num("p99", f.lag_p99_ms);
  j.num("max", t.lag.n ? double(t.lag.max) / 1000 : NAN);
  j.close();
  j.boolean("loadgen_saturated", f.saturated);
  j.raw("loadgen_saturation_reasons", json_strings(f.reasons));
}

void json_sign_in(Json& j, const Config& cfg, const ChatTotals& t) {
  j.open("sign_in");
  j.integer("signed_in", (long long)t.sign_in.n);
  j.integer("failed", (long long)t.sign_in_failed);
  j.integer("retries", (long long)t.sign_in_retries);
  j.num("p50_ms", t.sign_in.pct(50) / 1000);
  j.num("p99_ms", t.sign_in.pct(99) / 1000);
  j.num("max_ms", t.sign_in.n ? double(t.sign_in.max) / 1000 : NAN);
  j.integer("at_once", cfg.max_sign_ins);
  j.str("run_tag", cfg.run_tag);
  j.close();
}

void json_health_and_connect(Json& j, const Config& cfg, const RunRecord& rec, const ChatTotals& t) {
  const ConnectOutcome& c = rec.connect;
  j.integer("disconnects", (long long)t.disc);
  j.integer("open_at_end", (long long)t.open_at_end);
  j.integer("text_altered", (long long)t.text_bad);
  j.integer("other_messages", (long long)t.recv_other);
  j.integer("other_events", (long long)t.other_events);
  j.integer("ack_unmatched", (long long)t.ack_unmatched);
  j.integer("room_id_mismatch", (long long)t.room_id_mismatch);
  j.integer("pings", (long long)t.pings);
  j.raw("errors", errors_json(t.errors));
  j.open("warmup");
  j.integer("sent", (long long)t.sent_w);
  j.integer("acked_ok", (long long)t.acked_ok_w);
  j.integer("ack_errors", (long long)t.ack_err_w);
  j.integer("no_answer", (long long)t.no_answer_w);
  j.integer("received", (long long)t.recv_w);
  j.close();
  json_sign_in(j, cfg, t);
  j.open("connect");
  j.integer("connected", (long long)c.connected);
  j.integer("failed", (long long)c.failed);
  j.num("seconds", c.span_s, 3);
  j.num("handshake_p50_ms", t.ct.pct(50) / 1000);
  j.num("handshake_p99_ms", t.ct.pct(99) / 1000);
  j.num("loadgen_cpu_pct", 100.0 * c.loadgen_cpu_s / c.seconds, 1);
  j.close();
}

void json_machine_and_timeline(Json& j, const Config& cfg, const RunRecord& rec, const ChatTotals& t,
                               const ChatFigures& f) {
  json_machine(j, cfg, rec, f.cpu.machine, f.cpu.other_pct);
  std::string a = "[", b = "[", c = "[";
  for (int i = 0; i <= f.last_tl; i++) {
    a += (i ? "," : "") + std::to_string(t.tl[size_t(i)]);
    b += (i ? "," : "") + std::to_string(t.tl_acked[size_t(i)]);
    c += (i ? "," : "") + fmt(double(t.tlmax[size_t(i)]) / 1000, 1);
  }
  j.open("timeline");
  j.str("note", "per second from the start of sending (warm-up included), by receive time");
  j.raw("deliveries", a + "]");
  j.raw("stored", b + "]");
  j.raw("max_latency_ms", c + "]");
  j.close();
}

}  // namespace

void print_chat_connect_failure(const Config& cfg, const ConnectOutcome& c, const ChatTotals& t) {
  printf("\n== chat (fanout-cpp)%s%s ==\n", cfg.label.empty() ? "" : " — ", cfg.label.c_str());
  line("sign-in", fmt_int(double(t.sign_in.n)) + "/" + fmt_int(cfg.clients) + " signed in, " +
                      std::to_string(t.sign_in_failed) + " failed, " + std::to_string(t.sign_in_retries) +
                      " retried; p50 " + ms(t.sign_in.pct(50)) + " p99 " + ms(t.sign_in.pct(99)));
  line("connect", fmt_int(double(c.connected)) + "/" + fmt_int(cfg.clients) + " ready, " + std::to_string(c.failed) +
                      " failed, gave up after " + fmt(c.seconds, 2) + " s");
  line("errors", errors_json(t.errors));
  line("status", "NOT OK: not every user signed in and connected; nothing sent");
  printf("\n");
  Json j;
  j.open(nullptr);
  j.boolean("ok", false);
  j.boolean("clean", false);
  j.str("scenario", "chat");
  j.str("tool", "fanout-cpp");
  if (!cfg.label.empty()) j.str("label", cfg.label);
  j.integer("clients", cfg.clients);
  j.integer("senders", cfg.senders);
  j.integer("rooms", cfg.rooms);
  json_sign_in(j, cfg, t);
  j.open("connect");
  j.integer("connected", (long long)c.connected);
  j.integer("failed", (long long)c.failed);
  j.num("seconds", c.seconds, 3);
  j.raw("errors", errors_json(t.errors));
  j.close();
  j.str("error", "only " + std::to_string(c.connected) + " of " + std::to_string(cfg.clients) + " users connected");
  j.close();
  printf("%s\n", j.s.c_str());
}

void print_chat_summary(const Config& cfg, const RunRecord& rec, const ChatTotals& t, const ChatFigures& f) {
  printf("\n== chat (fanout-cpp)%s%s ==\n", cfg.label.empty() ? "" : " — ", cfg.label.c_str());
  summary_setup(cfg, rec, t);
  summary_messages(cfg, rec, t, f);
  summary_cpu(cfg, rec, t, f);
  summary_health(rec, t, f);
  printf("\n");
}

void print_chat_json(const Config& cfg, const RunRecord& rec, const ChatTotals& t, const ChatFigures& f) {
  Json j;
  j.open(nullptr);
  json_messages(j, cfg, rec, t, f);
  json_cpu(j, cfg, rec, t, f);
  json_health_and_connect(j, cfg, rec, t);
  json_machine_and_timeline(j, cfg, rec, t, f);
  if (!f.error.empty()) j.str("error", f.error);
  j.close();
  printf("%s\n", j.s.c_str());
}
