#include "chat_results.hpp"

#include <algorithm>

#include "report.hpp"

namespace {

void add_worker(ChatTotals& t, const Worker& w) {
  t.lat.merge(w.lat);
  t.lag.merge(w.lag);
  t.ct.merge(w.conn_time);
  t.ack_lat.merge(w.chat.ack_lat);
  t.sign_in.merge(w.chat.sign_in_time);
  t.sent_m += w.pub.sent_m.load();
  t.sent_w += w.sent_warm;
  t.send_failed += w.send_failed;
  t.acked_ok_m += w.pub.acked_m.load();
  t.owed_m += w.pub.owed_m.load();
  t.acked_ok_w += w.chat.acked_ok_w;
  t.acked_ok_window += w.chat.acked_ok_window;
  t.ack_err_w += w.chat.ack_err_w;
  t.ack_unmatched += w.chat.ack_unmatched;
  for (auto& [k, v] : w.chat.ack_errors) {
    t.ack_errors[k] += v;
    t.ack_err_m += v;
  }
  t.recv_m += w.pub.recv_m.load();
  t.recv_w += w.recv_warm;
  t.recv_window += w.recv_window;
  t.seq_gaps += w.chat.seq_gaps;
  t.dups += w.dup_or_reorder;
  t.seq_dups += w.chat.seq_dups;
  t.other_room += w.chat.other_room;
  t.text_bad += w.text_bad;
  t.recv_other += w.recv_other;
  t.other_events += w.chat.other_events;
  t.pings += w.pings;
  t.disc += w.pub.disc.load();
  t.sign_in_failed += w.chat.sign_in_failed;
  t.sign_in_retries += w.chat.sign_in_retries;
  for (size_t i = 0; i < w.tl_count.size() && i < t.tl.size(); i++) {
    t.tl[i] += w.tl_count[i];
    t.tlmax[i] = std::max(t.tlmax[i], w.tl_latmax[i]);
  }
  for (size_t i = 0; i < w.chat.tl_acked.size() && i < t.tl_acked.size(); i++) t.tl_acked[i] += w.chat.tl_acked[i];
}

// Per user: deliveries spread, acks never answered (by the end of the drain), and whether the
// users of one room index all ended up in the same room.
void add_clients(const Config& cfg, ChatTotals& t, const std::vector<std::unique_ptr<Conn>>& conns) {
  uint64_t pc_min = UINT64_MAX;
  std::vector<int64_t> room_of(size_t(cfg.rooms), -1);
  for (auto& c : conns) {
    if (c->state == CS_CONNECTED) t.open_at_end++;
    if (c->state != CS_CONNECTED && c->state != CS_CLOSED) continue;
    pc_min = std::min(pc_min, c->recv_m);
    t.pc_max = std::max(t.pc_max, c->recv_m);
    const ChatConn& ch = *c->chat;
    if (ch.first_seq) {
      uint64_t seen = 0;
      for (uint64_t word : ch.seen) seen += uint64_t(__builtin_popcountll(word));
      t.seq_holes += ch.last_seq - ch.first_seq + 1 - seen;
    }
    for (auto& [id, p] : ch.pending) (p.measured ? t.no_answer_m : t.no_answer_w)++;
    int64_t& r = room_of[ch.room_index];
    if (r < 0) r = ch.room_id;
    else if (r != ch.room_id) t.room_id_mismatch++;
  }
  t.pc_min = pc_min == UINT64_MAX ? 0 : pc_min;
}

// What keeps a completed run from being clean (all stored, all delivered, in order; with several
// targets a delivery may overtake another, as the protocol allows between replicas: then only
// seqs that never came and duplicates count).
std::vector<std::string> problems(const Config& cfg, const ChatTotals& t, const ChatFigures& f) {
  std::vector<std::string> p;
  auto add = [&](uint64_t n, const char* what) {
    if (n) p.push_back(std::to_string(n) + " " + what);
  };
  if (f.lost > 0) p.push_back(std::to_string(f.lost) + " deliveries lost");
  if (f.lost < 0) p.push_back(std::to_string(-f.lost) + " more deliveries than acked messages owe");
  add(t.ack_err_m, "messages refused");
  add(t.no_answer_m, "messages without an ack");
  add(t.send_failed, "sends on a closed connection");
  if (cfg.targets.size() <= 1) {
    add(t.seq_gaps, "seqs skipped");
    add(t.dups, "duplicate or reordered deliveries");
  } else {
    add(t.seq_holes, "seqs never delivered (holes)");
    add(t.seq_dups, "duplicate deliveries");
  }
  add(t.other_room, "deliveries from another room");
  add(t.text_bad, "texts altered");
  add(t.disc, "disconnects");
  add(t.ack_unmatched, "acks with an unknown id");
  add(t.room_id_mismatch, "users in the wrong room");
  if (t.acked_ok_window == 0) p.push_back("nothing stored in the window");
  return p;
}

}  // namespace

ChatTotals collect_chat_totals(const Config& cfg, const Fleet& fleet) {
  ChatTotals t;
  const size_t n = size_t(fleet.control.tl_secs);
  t.tl.assign(n, 0);
  t.tlmax.assign(n, 0);
  t.tl_acked.assign(n, 0);
  for (auto& w : fleet.workers) add_worker(t, *w);
  add_clients(cfg, t, fleet.conns);
  t.errors = fleet.merged_errors();
  return t;
}

ChatFigures derive_chat_figures(const Config& cfg, const RunRecord& rec, const ChatTotals& t, size_t workers) {
  const double D = cfg.duration;
  ChatFigures f;
  f.cpu = window_cpu(cfg, rec, workers);
  f.lost = (long long)t.owed_m - (long long)t.recv_m;
  f.stored_per_s = double(t.acked_ok_window) / D;
  f.deliveries_per_s = double(t.recv_window) / D;
  if (t.acked_ok_window) f.cpu_ms_per_stored = f.cpu.srv_cpu * 1e3 / double(t.acked_ok_window);
  f.lag_p99_ms = t.lag.pct(99) / 1000;
  f.reasons = saturation_reasons(f.cpu.lg_pct_allowed, f.lag_p99_ms);
  f.saturated = !f.reasons.empty();
  if (f.cpu.srv_vanished) {
    f.ok = false;
    f.error = "server process vanished";
  } else if (t.acked_ok_window == 0) {
    f.ok = false;
    f.error = "no message was stored (acked ok) in the measured window";
  }
  f.problems = problems(cfg, t, f);
  for (int i = 0; i < int(t.tl.size()); i++)
    if (t.tl[size_t(i)] || t.tl_acked[size_t(i)]) f.last_tl = i;
  return f;
}
