// What the run's phases (main.cpp) record, whatever the scenario: the connect phase's
// outcome and the CPU samples at the measured window's edges.
#pragma once

#include <cstdint>
#include <string>

#include "proc_stats.hpp"

struct ConnectOutcome {
  uint64_t connected = 0, failed = 0;
  double seconds = 0;        // until every client connected or failed, or the bound
  double span_s = 0;         // until the last client connected
  double loadgen_cpu_s = 0;  // the load generator's CPU over `seconds`
};

struct RunRecord {
  int cpus_allowed = 1;
  std::string load_start, load_end;
  ConnectOutcome connect;
  CpuSample before, after;  // at the edges of the measured window
  double drain_s = 0;
  long rss_kib = -1;
};
