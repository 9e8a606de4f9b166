#include "fanout_results.hpp"

#include <algorithm>
#include <cmath>

#include "report.hpp"
#include "window_cpu.hpp"

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
  Figures f;
  f.expected = t.sent_m * uint64_t(cfg.clients);
  f.lost = (long long)f.expected - (long long)t.recv_m;
  f.deliveries_per_s = double(t.recv_window) / D;
  WindowCpu w = window_cpu(cfg, rec, workers);
  f.lg_cpu = w.lg_cpu, f.lg_sys = w.lg_sys, f.lg_pct = w.lg_pct, f.lg_pct_allowed = w.lg_pct_allowed;
  f.srv_cpu = w.srv_cpu;
  if (w.srv_vanished) {
    f.ok = false;
    f.error = "server process vanished";
  }
  f.machine = w.machine;
  f.other_pct = w.other_pct;
  f.extra_pct = w.extra_pct;
  f.thr_pct = w.thr_pct;
  f.lag_p99_ms = t.lag.pct(99) / 1000;
  f.reasons = saturation_reasons(f.lg_pct_allowed, f.lag_p99_ms);
  f.saturated = !f.reasons.empty();
  for (int i = 0; i < int(t.tl.size()); i++)
    if (t.tl[size_t(i)]) f.last_tl = i;
  return f;
}
