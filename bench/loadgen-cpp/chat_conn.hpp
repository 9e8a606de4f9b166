// The chat scenario's state: per client (Conn::chat, null in the fanout scenario) and per
// worker (Worker::chat, its counters). Owned by one worker thread like the rest of a Conn.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "stats.hpp"

// A message:send waiting for its ack (43<ack id>[...]).
struct PendingSend {
  uint64_t sent_at = 0;  // CLOCK_MONOTONIC, µs: the ack latency is measured from here
  bool measured = false;
};

struct ChatConn {
  // sign-in (POST /api/session), before the WebSocket
  std::string cookie;           // "chat_session=<token>", sent with the upgrade request
  uint64_t sign_in_start = 0;   // first attempt; the sign-in timeout counts from here
  uint64_t retry_at = 0;        // CS_SIGNIN_WAIT: when to try again (after a 503)
  int sign_in_attempts = 0;
  // the room it sends to and counts deliveries from
  uint32_t room_index = 0;      // gid mod --rooms
  int64_t room_id = -1;         // from "ready" (general) or the room:join ack
  uint64_t last_seq = 0;        // newest seq delivered from room_id; 0 before the first
  uint64_t first_seq = 0;       // the first seq delivered; seen: bit i = seq first_seq + i delivered
  std::vector<uint64_t> seen;   // (replicas: a live message may overtake another; holes are what never came)
  // acks
  uint64_t next_ack = 1;
  uint64_t join_ack = 0;        // ack id of the room:join in flight (CS_ROOM)
  int join_attempts = 0;
  std::unordered_map<uint64_t, PendingSend> pending;  // by ack id
  uint64_t acked_ok_m = 0;      // measured messages of this sender acked ok
};

// What a worker counts in the chat scenario, on top of the delivery counters it shares with
// fanout (Worker::lat, recv_window, recv_warm, dup_or_reorder, text_bad, Pub::recv_m).
struct ChatStats {
  Hist ack_lat;       // measured messages acked ok: ack receive time − send time
  Hist sign_in_time;  // first attempt to cookie, retries included
  uint64_t acked_ok_w = 0, acked_ok_window = 0;  // warm-up messages acked ok; acks ok received in the window
  uint64_t ack_err_w = 0, ack_unmatched = 0;     // warm-up messages refused; acks with an unknown id
  std::map<std::string, uint64_t> ack_errors;    // measured messages refused, by error code
  uint64_t seq_gaps = 0;      // seqs skipped (per receiver and room: seq > last + 1 counts seq − last − 1)
  uint64_t seq_dups = 0;      // a seq delivered to the same user a second time
  uint64_t other_room = 0;    // "message" from a room the receiver does not count (not its room)
  uint64_t other_events = 0;  // other events (presence, typing, room:added, ...)
  uint64_t sign_in_failed = 0, sign_in_retries = 0;
  std::vector<uint64_t> tl_acked;  // per second from t0: acks ok received

  void note_ack_error(const std::string& e) {
    auto it = ack_errors.find(e);
    if (it != ack_errors.end()) it->second++;
    else if (ack_errors.size() < 12) ack_errors[e] = 1;
    else ack_errors["(other)"]++;
  }
};
