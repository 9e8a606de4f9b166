// The chat run's results: the workers' counters and the clients' leftovers summed
// (ChatTotals), and the figures derived from them and the window's CPU (ChatFigures).
#pragma once

#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "config.hpp"
#include "fleet.hpp"
#include "run_record.hpp"
#include "stats.hpp"
#include "window_cpu.hpp"

struct ChatTotals {
  Hist lat, lag, ct, ack_lat, sign_in;  // delivery latency, send lag, WebSocket handshake, ack latency, sign-in
  // measured messages: sent = acked_ok + ack_errors + no_answer
  uint64_t sent_m = 0, send_failed = 0, acked_ok_m = 0, ack_err_m = 0, no_answer_m = 0;
  std::map<std::string, uint64_t> ack_errors;
  uint64_t acked_ok_window = 0;  // acks ok received inside the window (any phase): stored messages/s
  uint64_t sent_w = 0, acked_ok_w = 0, ack_err_w = 0, no_answer_w = 0, ack_unmatched = 0;  // warm-up
  // deliveries
  uint64_t owed_m = 0;  // measured messages acked ok × members of their room
  uint64_t recv_m = 0, recv_w = 0, recv_window = 0, seq_gaps = 0, dups = 0, other_room = 0, text_bad = 0;
  // per user, between its first and newest delivery: seqs that never came, seqs that came twice
  // (dups − seq_dups deliveries came after a higher seq: overtaken, which replicas allow)
  uint64_t seq_holes = 0, seq_dups = 0;
  uint64_t pc_min = 0, pc_max = 0;  // per user measured deliveries
  // health
  uint64_t recv_other = 0, other_events = 0, pings = 0, disc = 0, open_at_end = 0;
  uint64_t sign_in_failed = 0, sign_in_retries = 0;
  uint64_t room_id_mismatch = 0;  // users of one room index whose room ids differ (room:join)
  std::map<std::string, uint64_t> errors;
  std::vector<uint64_t> tl, tlmax, tl_acked;  // per second from t0: deliveries, max latency (us), acks ok
};
ChatTotals collect_chat_totals(const Config& cfg, const Fleet& fleet);  // after Fleet::stop

struct ChatFigures {
  WindowCpu cpu;
  long long lost = 0;  // owed − delivered (measured messages)
  double stored_per_s = 0, deliveries_per_s = 0;
  double cpu_ms_per_stored = NAN;  // server CPU over the window ÷ acks ok in the window, ms
  double lag_p99_ms = NAN;
  std::vector<std::string> reasons;  // why the load generator counts as saturated
  bool saturated = false;
  bool ok = true;  // the run is usable (see README.md, chat scenario)
  std::string error;
  std::vector<std::string> problems;  // what makes it not clean: loss, refusals, no answers...
  int last_tl = -1;
};
ChatFigures derive_chat_figures(const Config& cfg, const RunRecord& rec, const ChatTotals& t, size_t workers);
