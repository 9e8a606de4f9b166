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
  // --extra-pid groups (their processes are among the others: taken out of other_pct).
  double groups_s = 0;
  for (size_t i = 0; i < cfg.extra_pids.size(); i++) {
    double g = i < A.groups.size() && i < B.groups.size() ? processes_cpu_s_raw(A.groups[i], B.groups[i]) : NAN;
    if (std::isfinite(g)) groups_s += g;
    w.extra_pct.push_back(100.0 * std::max(0.0, g) / D);
  }
  // Without --server-pid the server would count as another process.
  if (std::isfinite(w.srv_cpu))
    w.other_pct = 100.0 * std::max(0.0, processes_cpu_s_raw(A.others, B.others) - groups_s) / D;
  for (size_t i = 0; i < workers && i < A.thr.size() && i < B.thr.size(); i++)
    w.thr_pct.push_back(100.0 * (B.thr[i] - A.thr[i]) / D);
  return w;
}

std::string extra_cpu_text(const Config& cfg, const std::vector<double>& pct) {
  std::string s;
  for (size_t i = 0; i < cfg.extra_pids.size() && i < pct.size(); i++)
    s += (s.empty() ? "" : "  ") + cfg.extra_pids[i].name + " " + fmt(pct[i], 1) + "%";
  return s;
}

void json_extra_cpu(Json& j, const Config& cfg, const std::vector<double>& pct) {
  if (cfg.extra_pids.empty()) return;
  j.open("extra_cpu_pct");
  for (size_t i = 0; i < cfg.extra_pids.size() && i < pct.size(); i++) j.num(cfg.extra_pids[i].name.c_str(), pct[i], 1);
  j.close();
}

std::vector<std::string> saturation_reasons(double lg_pct_allowed, double lag_p99_ms) {
  std::vector<std::string> r;
  if (lg_pct_allowed >= 85) r.push_back("loadgen CPU " + fmt(lg_pct_allowed, 0) + "% of its CPU(s)");
  if (std::isfinite(lag_p99_ms) && lag_p99_ms > 20) r.push_back("send lag p99 " + fmt(lag_p99_ms, 1) + " ms");
  return r;
}

void json_machine(Json& j, const Config& cfg, const RunRecord& rec,
                  const std::vector<std::pair<std::string, std::pair<double, double>>>& machine, double other_pct) {
  j.integer("source_ips", (long long)cfg.source_ips.size());
  j.integer("threads", cfg.threads);
  j.str("cpus_allowed", allowed_cpus_list());
  j.open("machine_cpu");
  for (auto& [k, v] : machine) {
    j.open(k.c_str());
    j.num("busy_pct", v.first, 1);
    j.num("softirq_pct", v.second, 1);
    j.close();
  }
  j.close();
  j.num("other_processes_cpu_pct", other_pct, 1);
  if (std::isfinite(other_pct)) j.boolean("machine_quiet", other_pct <= 10);
  else j.null("machine_quiet");
  j.str("loadavg_start", rec.load_start);
  j.str("loadavg_end", rec.load_end);
}
