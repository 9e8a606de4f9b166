// The fanout run's output on stdout: a human summary, then one JSON object as the last line
// (its fields are listed in README.md, "Output").
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "config.hpp"
#include "fanout_results.hpp"

// Not every client connected: a short summary and the JSON line ("ok":false).
void print_connect_failure(const Config& cfg, const ConnectOutcome& c, const std::map<std::string, uint64_t>& errors);

void print_summary(const Config& cfg, const RunRecord& rec, const Totals& t, const Figures& f);
void print_json(const Config& cfg, const RunRecord& rec, const Totals& t, const Figures& f);
