// CPU over the measured window, the same for every scenario: the server's, the load
// generator's (whole and per thread), the machine's per CPU, what other processes used, and
// whether the load generator was the bottleneck.
#pragma once

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "config.hpp"
#include "run_record.hpp"

struct WindowCpu {
  double lg_cpu = 0, lg_sys = 0, lg_pct = 0, lg_pct_allowed = 0;  // load generator
  double srv_cpu = NAN;   // server CPU seconds (NaN without --server-pid)
  bool srv_vanished = false;
  std::vector<std::pair<std::string, std::pair<double, double>>> machine;  // cpuN: busy %, softirq %
  double other_pct = NAN;  // CPU of other processes during the window (not the --extra-pid groups)
  std::vector<double> extra_pct;  // per --extra-pid group (with its descendants), % of one CPU
  std::vector<double> thr_pct;  // per load generator thread (sender first)
};
WindowCpu window_cpu(const Config& cfg, const RunRecord& rec, size_t workers);

struct Json;
// --extra-pid groups: "postgres 41.0%  redis 9.5%" for the summary, and "extra_cpu_pct":{NAME:%}
// in the JSON line (nothing without --extra-pid).
std::string extra_cpu_text(const Config& cfg, const std::vector<double>& pct);
void json_extra_cpu(Json& j, const Config& cfg, const std::vector<double>& pct);

// The machine part of every scenario's JSON line: source_ips, threads, cpus_allowed,
// machine_cpu{cpuN{busy_pct,softirq_pct}}, other_processes_cpu_pct, machine_quiet, loadavg_*.
void json_machine(Json& j, const Config& cfg, const RunRecord& rec,
                  const std::vector<std::pair<std::string, std::pair<double, double>>>& machine, double other_pct);

// Why the load generator counts as saturated (empty: it does not): its CPU at 85 % or more of
// the CPUs it may use, or a send lag p99 over 20 ms.
std::vector<std::string> saturation_reasons(double lg_pct_allowed, double lag_p99_ms);
