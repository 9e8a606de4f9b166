#include "fanout_results.hpp"

#include <algorithm>
#include <cmath>

#include "report.hpp"

namespace {

void add_worker(Totals& t, const Worker& w) {
  t.lat.merge(w.lat);
  t.lag.merge(w.lag);
  t.ct.merge(w.conn_time);
  t.sent_m += w.pub.sent_m.load();
  t.sent_w += w.sent_warm;
  t.send_failed += w.send_failed;
  t.recv_m += w.pub.recv_m.load();
  t.recv_w += w.recv_warm;
  t.recv_window += w.recv_window;
  t.recv_other += w.recv_other;
  t.pings += w.pings;
  t.disc += w.pub.disc.load();
  t.dups += w.dup_or_reorder;
  t.text_bad += w.text_bad;
  for (size_t i = 0; i < w.tl_count.size() && i < t.tl.size(); i++) {
    t.tl[i] += w.tl_count[i];
    t.tlmax[i] = std::max(t.tlmax[i], w.tl_latmax[i]);
  }
}

// Per-client spread of measured deliveries, over the clients that connected.
void add_clients(Totals& t, const std::vector<std::unique_ptr<Conn>>& conns) {
  uint64_t pc_min = UINT64_MAX;
  for (auto& c : conns) {
    if (c->state == CS_CONNECTED) t.open_at_end++;
    if (c->state != CS_CONNECTED && c->state != CS_CLOSED) continue;
    pc_min = std::min(pc_min, c->recv_m);
    t.pc_max = std::max(t.pc_max, c->recv_m);
  }
  t.pc_min = pc_min == UINT64_MAX ? 0 : pc_min;
}

// Busy and softirq share of each CPU over the window, and the CPU seconds all of them used.
double machine_cpu(const RunRecord& rec, Figures& f) {
  double machine_busy_s = 0;
  for (auto& [k, b] : rec.after.stat) {
    auto it = rec.before.stat.find(k);
    if (it == rec.before.stat.end()) continue;
    const CpuTicks& a = it->second;
    machine_busy_s += double(b.busy - a.busy) / double(clk_tck());
    double dt = double(b.total - a.total);
    if (dt > 0)
      f.machine.push_back({k, {100.0 * double(b.busy - a.busy) / dt, 100.0 * double(b.softirq - a.softirq) / dt}});
  }
  return machine_busy_s;
}

void saturation(const Totals& t, Figures& f) {
  f.lag_p99_ms = t.lag.pct(99) / 1000;
  if (f.lg_pct_allowed >= 85) f.reasons.push_back("loadgen CPU " + fmt(f.lg_pct_allowed, 0) + "% of its CPU(s)");
  if (std::isfinite(f.lag_p99_ms) && f.lag_p99_ms > 20)
    f.reasons.push_back("send lag p99 " + fmt(f.lag_p99_ms, 1) + " ms");
  f.saturated = !f.reasons.empty();
}

}  // namespace

Totals collect_totals(const Fleet& fleet) {
  Totals t;
  t.tl.assign(size_t(fleet.control.tl_secs), 0);
  t.tlmax.assign(size_t(fleet.control.tl_secs), 0);
  for (auto& w : fleet.workers) add_worker(t, *w);
  add_clients(t, fleet.conns);
  t.errors = fleet.merged_errors();
  return t;
}

Figures derive_figures(const Config& cfg, const RunRecord& rec, const Totals& t, size_t workers) {
  const double D = cfg.duration;
  const CpuSample &A = rec.before, &B = rec.after;
  Figures f;
  f.expected = t.sent_m * uint64_t(cfg.clients);
  f.lost = (long long)f.expected - (long long)t.recv_m;
  f.deliveries_per_s = double(t.recv_window) / D;
  f.lg_cpu = B.lg - A.lg, f.lg_sys = B.lg_sys - A.lg_sys;
  f.lg_pct = 100.0 * f.lg_cpu / D;
  f.lg_pct_allowed = f.lg_pct / rec.cpus_allowed;
  if (!cfg.server_pids.empty()) {
    if (A.srv_ok && B.srv_ok) f.srv_cpu = B.srv - A.srv;
    else {
      f.ok = false;
      f.error = "server process vanished";
    }
  }
  double machine_busy_s = machine_cpu(rec, f);
  if (std::isfinite(f.srv_cpu)) f.other_pct = std::max(0.0, 100.0 * (machine_busy_s - f.srv_cpu - f.lg_cpu) / D);
  for (size_t i = 0; i < workers && i < A.thr.size() && i < B.thr.size(); i++)
    f.thr_pct.push_back(100.0 * (B.thr[i] - A.thr[i]) / D);
  saturation(t, f);
  for (int i = 0; i < int(t.tl.size()); i++)
    if (t.tl[size_t(i)]) f.last_tl = i;
  return f;
}
