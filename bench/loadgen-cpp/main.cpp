// fanout-cpp: a fast load generator for the Socket.IO chat fan-out benchmark.
//
// Same wire contract and the same figures as the shared Node load generator
// (../shared/bench/loadgen, scenario "fanout"), but in C++ on plain epoll so
// that one core can receive far more than the ~150,000 deliveries/s the Node
// tool manages.
//
//   GET /socket.io/?EIO=4&transport=websocket      (WebSocket upgrade)
//   <- 0{"sid":...,"pingInterval":...}              Engine.IO open
//   -> 40                                           Socket.IO connect "/"
//   <- 40{"sid":...}                                connected (joined "general")
//   <- 2   -> 3                                     ping / pong
//   -> 42["chat message",{"room":"general","text":...,"ts":...}]   (senders)
//   <- 42["chat message",{...}]                     broadcast deliveries
//
// Threads: one sender thread (owns the S sender clients: sends on an open-loop
// schedule and also receives their broadcasts) and --threads receiver threads,
// each with its own epoll and its share of the other clients (worker.hpp). The
// main thread, here, coordinates the phases and samples CPU at the window
// edges. Every phase is bounded; a global deadline (SIGALRM) ends a stuck run
// with exit 1.
//
// --scenario chat: the same phases for the chat path (chat_traffic.cpp): every user signs in
// over HTTP first (part of the connect phase), senders send message:send with acks, and the
// report is chat_report.cpp's.
//
// Output: a human summary, then one JSON object as the last line of stdout.
// Exit status: 0 run completed; 1 anything else (bad arguments, not every
// client connected, server pid vanished, deadline exceeded).

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "chat_report.hpp"
#include "chat_results.hpp"
#include "clock.hpp"
#include "config.hpp"
#include "fanout_report.hpp"
#include "fanout_results.hpp"
#include "fleet.hpp"
#include "log.hpp"
#include "proc_stats.hpp"
#include "report.hpp"

namespace {

// One descriptor per client, one epoll per thread, a few for /proc and stdio.
void raise_open_file_limit(const Config& cfg) {
  const int C = cfg.clients;
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  rlim_t want = rl.rlim_max;
  rl.rlim_cur = want;
  if (setrlimit(RLIMIT_NOFILE, &rl) != 0) die("setrlimit(RLIMIT_NOFILE): %s", strerror(errno));
  long need = long(C) + cfg.threads + 1 + 32;
  if (want != RLIM_INFINITY && need > long(want))
    die("%d clients need about %ld open files but the hard limit (ulimit -Hn) is %llu; use fewer clients "
        "(at most %ld) or several load generator processes",
        C, need, (unsigned long long)want, long(want) - (need - C));
}

// Hard bound on the whole run (SIGALRM); returns the bound on the connect phase (chat: every
// sign-in may take its whole timeout, --max-sign-ins at a time).
double arm_deadline(const Config& cfg) {
  double connect_bound_s = double(cfg.clients) / cfg.connect_rate + cfg.connect_timeout + 10;
  if (cfg.chat()) connect_bound_s += std::ceil(double(cfg.clients) / cfg.max_sign_ins) * cfg.sign_in_timeout;
  double run_bound_s = connect_bound_s + 1.2 + cfg.warmup + cfg.duration + cfg.drain + 20;
  alarm(unsigned(std::ceil(run_bound_s)));
  return connect_bound_s;
}

// Starts the workers, which connect their clients at --connect-rate; returns when every
// client has connected or failed, or at the bound.
ConnectOutcome connect_clients(const Config& cfg, Fleet& fleet, double connect_bound_s) {
  const int C = cfg.clients;
  double srv_cpu_before = 0;
  if (!cfg.server_pids.empty() && !server_cpu(cfg.server_pids, srv_cpu_before)) die("server process vanished");
  double lg_cpu_c0 = self_cpu_s();
  fleet.control.connect_t0 = now_us();
  fleet.control.phase.store(PH_CONNECT, std::memory_order_release);
  fleet.start();
  const uint64_t t0 = fleet.control.connect_t0;
  uint64_t connect_deadline = t0 + uint64_t(connect_bound_s * 1e6);
  uint64_t last_log = now_us();
  ConnectOutcome c;
  for (;;) {
    c.connected = fleet.sum(&Pub::connected);
    c.failed = fleet.sum(&Pub::failed);
    if (c.connected + c.failed >= uint64_t(C)) break;
    uint64_t n = now_us();
    if (n >= connect_deadline) break;
    if (n - last_log > 2000000) {
      last_log = n;
      progress("connecting: %llu connected, %llu failed of %d", (unsigned long long)c.connected,
               (unsigned long long)c.failed, C);
    }
    usleep(5000);
  }
  c.seconds = double(now_us() - t0) / 1e6;
  c.loadgen_cpu_s = self_cpu_s() - lg_cpu_c0;
  progress("connected %llu/%d (%llu failed) in %.2f s", (unsigned long long)c.connected, C,
           (unsigned long long)c.failed, c.seconds);
  uint64_t lc = fleet.last_connected();
  c.span_s = lc > t0 ? double(lc - t0) / 1e6 : c.seconds;
  return c;
}

[[noreturn]] void give_up_unconnected(const Config& cfg, Fleet& fleet, const ConnectOutcome& c) {
  fleet.stop();
  if (cfg.chat()) print_chat_connect_failure(cfg, c, collect_chat_totals(cfg, fleet));
  else print_connect_failure(cfg, c, fleet.merged_errors());
  fflush(stdout);
  _exit(1);
}

// Publishes the schedule (warm-up, then the measured window) to the workers, and samples
// CPU at the window's edges; progress every 5 s.
void run_window(const Config& cfg, Fleet& fleet, RunRecord& rec) {
  RunControl& rc = fleet.control;
  usleep(1000000);  // settle after the connect burst
  const double W = cfg.warmup, D = cfg.duration;
  rc.t0 = now_us() + 200000;
  rc.m_start = rc.t0 + uint64_t(W * 1e6);
  rc.m_end = rc.m_start + uint64_t(D * 1e6);
  rc.phase.store(PH_RUN, std::memory_order_release);
  progress("sending %g msg/s from %d senders to %d clients: warm-up %g s, measure %g s", cfg.rate, cfg.senders,
           cfg.clients, W, D);
  sleep_until_us(rc.m_start);
  std::vector<std::vector<int>> groups;  // --extra-pid
  for (const PidGroup& g : cfg.extra_pids) groups.push_back(g.pids);
  rec.before = sample_cpu(cfg.server_pids, fleet.thread_ids(), groups);
  uint64_t next_log = rc.m_start + 5000000;
  while (now_us() + 1000 < rc.m_end) {
    uint64_t n = now_us();
    if (n >= next_log && n + 500000 < rc.m_end) {
      next_log += 5000000;
      if (cfg.chat())
        progress("t+%.0f s: sent %s, acked ok %s, received %s, disconnects %llu", double(n - rc.m_start) / 1e6,
                 fmt_int(double(fleet.sum(&Pub::sent_m))).c_str(), fmt_int(double(fleet.sum(&Pub::acked_m))).c_str(),
                 fmt_int(double(fleet.sum(&Pub::recv_m))).c_str(), (unsigned long long)fleet.sum(&Pub::disc));
      else
        progress("t+%.0f s: sent %s, received %s, disconnects %llu", double(n - rc.m_start) / 1e6,
                 fmt_int(double(fleet.sum(&Pub::sent_m))).c_str(), fmt_int(double(fleet.sum(&Pub::recv_m))).c_str(),
                 (unsigned long long)fleet.sum(&Pub::disc));
    }
    sleep_until_us(std::min(rc.m_end, n + 200000));
  }
  sleep_until_us(rc.m_end);
  rec.after = sample_cpu(cfg.server_pids, fleet.thread_ids(), groups);
}

// Waits for late deliveries: until every measured message reached every client (chat: every
// measured message is answered, and those acked ok reached every member of their room), at
// most --drain seconds; then stops the workers.
void drain(const Config& cfg, Fleet& fleet, RunRecord& rec) {
  const uint64_t m_end = fleet.control.m_end;
  uint64_t drain_end = m_end + uint64_t(cfg.drain * 1e6);
  for (;;) {
    bool sdone = fleet.control.sender_done.load(std::memory_order_acquire);
    uint64_t recv = fleet.sum(&Pub::recv_m);
    uint64_t owed = cfg.chat() ? fleet.sum(&Pub::owed_m) : fleet.sum(&Pub::sent_m) * uint64_t(cfg.clients);
    bool answered = !cfg.chat() || fleet.sum(&Pub::awaiting_m) == 0;
    if (sdone && answered && recv >= owed) break;
    if (now_us() >= drain_end) break;
    usleep(10000);
  }
  rec.drain_s = double(now_us() - m_end) / 1e6;
  rec.load_end = loadavg();
  rec.rss_kib = cfg.server_pids.empty() ? -1 : server_rss_kib(cfg.server_pids);
  fleet.stop();
}

[[noreturn]] void report(const Config& cfg, const Fleet& fleet, const RunRecord& rec) {
  if (cfg.chat()) {
    ChatTotals totals = collect_chat_totals(cfg, fleet);
    ChatFigures figures = derive_chat_figures(cfg, rec, totals, fleet.workers.size());
    print_chat_summary(cfg, rec, totals, figures);
    print_chat_json(cfg, rec, totals, figures);
    fflush(stdout);
    _exit(figures.ok ? 0 : 1);
  }
  Totals totals = collect_totals(fleet);
  Figures figures = derive_figures(cfg, rec, totals, fleet.workers.size());
  print_summary(cfg, rec, totals, figures);
  print_json(cfg, rec, totals, figures);
  fflush(stdout);
  // sockets are closed by the kernel on exit
  _exit(figures.ok ? 0 : 1);
}

}  // namespace

int main(int argc, char** argv) {
  const Config cfg = parse_args(argc, argv);
  set_progress_quiet(cfg.quiet);
  set_scenario_name(cfg.scenario_name());
  install_signal_handlers();
  raise_open_file_limit(cfg);
  const double connect_bound_s = arm_deadline(cfg);

  RunRecord rec;
  rec.cpus_allowed = cpus_allowed_count();
  rec.load_start = loadavg();
  Fleet fleet(cfg);
  progress("%s: %d clients (%d senders on their own thread, %d receiver thread(s)), target %s, "
           "%zu source IP(s), CPUs allowed %s",
           cfg.scenario_name(), cfg.clients, cfg.senders, cfg.threads, cfg.targets_str().c_str(), cfg.source_ips.size(),
           allowed_cpus_list().c_str());

  rec.connect = connect_clients(cfg, fleet, connect_bound_s);
  if (rec.connect.connected < uint64_t(cfg.clients)) give_up_unconnected(cfg, fleet, rec.connect);
  run_window(cfg, fleet, rec);
  drain(cfg, fleet, rec);
  report(cfg, fleet, rec);
}
