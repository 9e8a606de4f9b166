// The fanout run's results: the workers' counters summed (Totals), and the figures derived
// from them and from what the phases measured (RunRecord, run_record.hpp) that the report prints.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "config.hpp"
#include "fleet.hpp"
#include "proc_stats.hpp"
#include "run_record.hpp"
#include "stats.hpp"

struct Totals {
  Hist lat, lag, ct;
  uint64_t sent_m = 0, sent_w = 0, send_failed = 0, recv_m = 0, recv_w = 0, recv_window = 0, recv_other = 0,
           pings = 0, disc = 0, dups = 0, text_bad = 0;
  std::vector<uint64_t> tl, tlmax;  // per second from t0: deliveries, max latency (us)
  uint64_t pc_min = 0, pc_max = 0, open_at_end = 0;  // per client measured deliveries
  std::map<std::string, uint64_t> errors;
};
Totals collect_totals(const Fleet& fleet);  // after Fleet::stop

struct Figures {
  uint64_t expected = 0;
  long long lost = 0;
  double deliveries_per_s = 0;
  double lg_cpu = 0, lg_sys = 0, lg_pct = 0, lg_pct_allowed = 0;
  bool ok = true;
  std::string error;
  double srv_cpu = NAN;
  std::vector<std::pair<std::string, std::pair<double, double>>> machine;  // cpuN: busy %, softirq %
  double other_pct = NAN;  // CPU of other processes during the window (not the --extra-pid groups)
  std::vector<double> extra_pct;  // per --extra-pid group
  std::vector<double> thr_pct;
  double lag_p99_ms = NAN;
  std::vector<std::string> reasons;  // why the load generator counts as saturated
  bool saturated = false;
  int last_tl = -1;  // last second of the timeline with deliveries
};
Figures derive_figures(const Config& cfg, const RunRecord& rec, const Totals& t, size_t workers);
