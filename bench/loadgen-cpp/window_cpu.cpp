#include "window_cpu.hpp"

#include <algorithm>

#include "report.hpp"

namespace {

// Busy and softirq share of each CPU over the window (/proc/stat: sampled ticks, see
// other_processes in proc_stats.hpp).
void machine_cpu(const RunRecord& rec, WindowCpu& w) {
  for (auto& [k, b] : rec.after.stat) {
    auto it = rec.before.stat.find(k);
    if (it == rec.before.stat.end()) continue;
    const CpuTicks& a = it->second;
    double dt = double(b.total - a.total);
    if (dt > 0)
      w.machine.push_back({k, {100.0 * double(b.busy - a.busy) / dt, 100.0 * double(b.softirq - a.softirq) / dt}});
  }
}

}  // namespace

WindowCpu window_cpu(const Config& cfg, const RunRecord& rec, size_t workers) {
  const double D = cfg.duration;
  const CpuSample &A = rec.before, &B = rec.after;
  WindowCpu w;
  w.lg_cpu = B.lg - A.lg, w.lg_sys = B.lg_sys - A.lg_sys;
  w.lg_pct = 100.0 * w.lg_cpu / D;
  w.lg_pct_allowed = w.lg_pct / rec.cpus_allowed;
  if (!cfg.server_pids.empty()) {
    if (A.srv_ok && B.srv_ok) w.srv_cpu = B.srv - A.srv;
    else w.srv_vanished = true;
  }
  machine_cpu(rec, w);
  // Without --server-pid the server would count as another process.
  if (std::isfinite(w.srv_cpu)) w.other_pct = 100.0 * other_processes_cpu_s(A.others, B.others) / D;
  for (size_t i = 0; i < workers && i < A.thr.size() && i < B.thr.size(); i++)
    w.thr_pct.push_back(100.0 * (B.thr[i] - A.thr[i]) / D);
  return w;
}

std::vector<std::string> saturation_reasons(double lg_pct_allowed, double lag_p99_ms) {
  std::vector<std::string> r;
  if (lg_pct_allowed >= 85) r.push_back("loadgen CPU " + fmt(lg_pct_allowed, 0) + "% of its CPU(s)");
  if (std::isfinite(lag_p99_ms) && lag_p99_ms > 20) r.push_back("send lag p99 " + fmt(lag_p99_ms, 1) + " ms");
  return r;
}
