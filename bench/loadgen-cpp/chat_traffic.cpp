// The chat scenario on the wire, after the sign-in (worker_sign_in.cpp):
//
//   <- 42["ready",{"user":{...},"rooms":[{"id":1,"kind":"public","name":"general",...}]}]
//   -> 42<a>["room:join",{"name":"bench-<k>"}]          (--rooms N > 1; chatd only)
//   <- 43<a>[{"ok":true,"room":{"id":R,...},...}]
//   -> 42<a>["message:send",{"roomId":R,"text":"t=<us> s=<seq> c=<sender> p=<m|w> xxx…","clientId":"c<sender>-<seq>"}]
//   <- 43<a>[{"ok":true,"message":{...,"seq":N,...}}]  or  43<a>[{"ok":false,"error":"<code>",...}]
//   <- 42["message",{"id":..,"roomId":R,"seq":N,"author":{..},"text":"t=..","createdAt":..,"clientId":".."}]
//
// <a> is the connection's ack id (1, 2, 3...); the sender keeps ack id -> send time to measure
// the ack latency. t (CLOCK_MONOTONIC send time, µs) and p=m (scheduled inside the measured
// window) are read back from each delivery's text, as in the fanout scenario, without a JSON
// parser on the hot path. Every room member receives (senders too); a receiver checks that the
// room's seq goes up by exactly one from one delivery to the next.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "clock.hpp"
#include "worker.hpp"

namespace {

inline bool parse_u64(const char*& q, const char* end, uint64_t& v) {
  const char* s = q;
  uint64_t x = 0;
  while (q < end && unsigned(*q - '0') < 10) x = x * 10 + uint64_t(*q++ - '0');
  v = x;
  return q != s;
}

// The unsigned number after `key` (e.g. "\"seq\":"), searched from p; false when absent.
inline bool number_after(const char* p, const char* end, const char* key, size_t klen, uint64_t& v) {
  const char* k = static_cast<const char*>(memmem(p, size_t(end - p), key, klen));
  if (!k) return false;
  const char* q = k + klen;
  return parse_u64(q, end, v);
}

inline bool starts_with(const char* p, size_t n, std::string_view s) {
  return n >= s.size() && memcmp(p, s.data(), s.size()) == 0;
}

// A small scanner for the two places a room id is read from ("ready" and the room:join ack),
// once per connection: strings with escapes and nesting are skipped properly, so that only the
// room object's own "id" and "name" count (not, say, a peer user's).
bool skip_string(const char*& q, const char* end) {
  for (q++; q < end; q++) {
    if (*q == '\\') q++;
    else if (*q == '"') {
      q++;
      return true;
    }
  }
  return false;
}

void skip_ws(const char*& q, const char* end) {
  while (q < end && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')) q++;
}

bool skip_value(const char*& q, const char* end) {
  skip_ws(q, end);
  if (q >= end) return false;
  if (*q == '"') return skip_string(q, end);
  if (*q == '{' || *q == '[') {
    int depth = 0;
    while (q < end) {
      if (*q == '"') {
        if (!skip_string(q, end)) return false;
        continue;
      }
      if (*q == '{' || *q == '[') depth++;
      else if ((*q == '}' || *q == ']') && --depth == 0) {
        q++;
        return true;
      }
      q++;
    }
    return false;
  }
  while (q < end && *q != ',' && *q != '}' && *q != ']') q++;
  return true;
}

struct RoomFields {
  int64_t id = -1;
  std::string_view name;
};

// The object at q ('{'): its top-level "id" (a number) and "name" (a string, raw); q ends after it.
bool read_room(const char*& q, const char* end, RoomFields& r) {
  if (q >= end || *q != '{') return false;
  q++;
  for (;;) {
    skip_ws(q, end);
    if (q < end && *q == '}') {
      q++;
      return true;
    }
    if (q >= end || *q != '"') return false;
    const char* ks = q + 1;
    if (!skip_string(q, end)) return false;
    std::string_view key(ks, size_t(q - 1 - ks));
    skip_ws(q, end);
    if (q >= end || *q != ':') return false;
    q++;
    skip_ws(q, end);
    if (key == "id" && q < end && unsigned(*q - '0') < 10) {
      uint64_t v;
      parse_u64(q, end, v);
      r.id = int64_t(v);
    } else if (key == "name" && q < end && *q == '"') {
      const char* vs = q + 1;
      if (!skip_string(q, end)) return false;
      r.name = std::string_view(vs, size_t(q - 1 - vs));
    } else if (!skip_value(q, end)) {
      return false;
    }
    skip_ws(q, end);
    if (q < end && *q == ',') q++;
  }
}

// "ready": the id of the room called `name` in "rooms":[...]; -1 when it is not there.
int64_t room_id_in_ready(const char* p, size_t n, std::string_view name) {
  const char* end = p + n;
  const char* k = static_cast<const char*>(memmem(p, n, "\"rooms\":", 8));
  if (!k) return -1;
  const char* q = k + 8;
  skip_ws(q, end);
  if (q >= end || *q != '[') return -1;
  q++;
  for (;;) {
    skip_ws(q, end);
    if (q >= end || *q == ']') return -1;
    RoomFields r;
    if (!read_room(q, end, r)) return -1;
    if (r.name == name) return r.id;
    skip_ws(q, end);
    if (q < end && *q == ',') q++;
  }
}

// The ack's error code ("error":"<code>"), or a placeholder.
std::string ack_error(const char* p, const char* end) {
  const char* k = static_cast<const char*>(memmem(p, size_t(end - p), "\"error\":\"", 9));
  if (!k) return "(no error code)";
  const char* v = k + 9;
  const char* e = static_cast<const char*>(memchr(v, '"', size_t(end - v)));
  return e && e - v <= 40 ? std::string(v, size_t(e - v)) : "(unreadable error code)";
}

// Both servers write the ack object without spaces: {"ok":true,...}.
inline bool ack_ok(const char* p, const char* end) {
  return memmem(p, std::min<size_t>(size_t(end - p), 24), "\"ok\":true", 9) != nullptr;
}

// What a sender writes at the start of a message's text: "t=<us> s=<seq> c=<sender> p=<m|w> ".
struct SenderStamp {
  const char* text = nullptr;  // the text's first byte (after "text":")
  uint64_t sent_us = 0;        // t: CLOCK_MONOTONIC send time
  char phase = 0;              // p: 'm' scheduled inside the measured window, 'w' warm-up
};

// Reads the stamp from the "text" of a delivery's body; false when it is not one of ours.
bool read_sender_stamp(const char* body, const char* end, SenderStamp& s) {
  const char* k = static_cast<const char*>(memmem(body, size_t(end - body), "\"text\":\"", 8));
  const char* q = k ? k + 8 : end;
  s.text = q;
  uint64_t seq, sender;
  if (end - q < 16 || q[0] != 't' || q[1] != '=') return false;
  q += 2;
  if (!parse_u64(q, end, s.sent_us) || end - q < 3 || q[0] != ' ' || q[1] != 's' || q[2] != '=') return false;
  q += 3;
  if (!parse_u64(q, end, seq) || end - q < 3 || q[0] != ' ' || q[1] != 'c' || q[2] != '=') return false;
  q += 3;
  if (!parse_u64(q, end, sender) || end - q < 4 || q[0] != ' ' || q[1] != 'p' || q[2] != '=') return false;
  s.phase = q[3];
  return true;
}

}  // namespace

// --rooms > 1: 42<a>["room:join",{"name":"bench-<k>"}] (the first of the room's users to join
// creates it).
void Worker::send_room_join(Conn* c) {
  ChatConn& ch = *c->chat;
  ch.join_ack = ch.next_ack++;
  std::string join = "42" + std::to_string(ch.join_ack) + "[\"room:join\",{\"name\":\"bench-" +
                     std::to_string(ch.room_index) + "\"}]";
  send_frame(c, 0x1, join.data(), join.size());
}

// 42["<event>",...]: the chat scenario's events. A "message" is the hot path (a delivery);
// anything else is the "ready" that starts a connection's chat, an error, or counted as other.
void Worker::on_chat_event(Conn* c, const char* p, size_t n, uint64_t now) {
  static constexpr std::string_view msg_pre = "42[\"message\",";
  if (starts_with(p, n, msg_pre)) on_delivery(c, p + msg_pre.size(), p + n, now);
  else on_chat_other_event(c, p, n, now);
}

void Worker::on_chat_other_event(Conn* c, const char* p, size_t n, uint64_t now) {
  if (c->state == CS_READY && starts_with(p, n, "42[\"ready\",")) {
    ChatConn& ch = *c->chat;
    if (cfg.rooms == 1) {
      ch.room_id = room_id_in_ready(p, n, "general");
      if (ch.room_id < 0) fail(c, "ready: no room \"general\" in it");
      else on_joined(c, now);
      return;
    }
    c->state = CS_ROOM;
    send_room_join(c);
    return;
  }
  if (starts_with(p, n, "42[\"error\"")) note_error("server sent an error event");
  chat.other_events++;  // presence (chatd, on every join and leave), typing, room:added...
}

// A delivery, body = what follows 42["message",. Room and seq first: every message of the room
// counts for the seq check, whoever sent it; then what the sender wrote at the start of the text.
void Worker::on_delivery(Conn* c, const char* body, const char* end, uint64_t now) {
  uint64_t room, seq;
  if (!number_after(body, end, "\"roomId\":", 9, room) || !number_after(body, end, "\"seq\":", 6, seq)) {
    recv_other++;
    return;
  }
  if (int64_t(room) != c->chat->room_id) {
    chat.other_room++;
    return;
  }
  check_delivery_seq(*c->chat, seq);
  SenderStamp stamp;
  if (!read_sender_stamp(body, end, stamp)) {
    recv_other++;
    return;
  }
  if (end - stamp.text <= cfg.text_bytes || stamp.text[cfg.text_bytes] != '"') text_bad++;
  count_delivery(c, stamp.sent_us, stamp.phase, now);
}

// The room's seq goes up by exactly one from one delivery to the next; the seqs seen are kept as
// bits, so that an overtaken message (several replicas) tells apart from a missing one (holes at
// the end) and a duplicate.
void Worker::check_delivery_seq(ChatConn& ch, uint64_t seq) {
  if (ch.last_seq) {
    if (seq > ch.last_seq + 1) chat.seq_gaps += seq - ch.last_seq - 1;
    else if (seq <= ch.last_seq) dup_or_reorder++;
  }
  if (seq > ch.last_seq) ch.last_seq = seq;
  if (!ch.first_seq) ch.first_seq = seq;
  if (seq >= ch.first_seq) {
    const uint64_t i = seq - ch.first_seq, bit = uint64_t(1) << (i & 63);
    const size_t word = size_t(i >> 6);
    if (word >= ch.seen.size()) ch.seen.resize(word + 1, 0);
    if (ch.seen[word] & bit) chat.seq_dups++;
    else ch.seen[word] |= bit;
  }
}

// A delivery of the room's, sent at sent_us in `phase` ('m': measured, else warm-up): the
// window's count, the latency histogram and the per-second timeline.
void Worker::count_delivery(Conn* c, uint64_t sent_us, char phase, uint64_t now) {
  if (now >= m_start && now < m_end) recv_window++;
  uint64_t lat_us = now > sent_us ? now - sent_us : 0;
  if (phase == 'm') {
    bump(pub.recv_m);
    c->recv_m++;
    lat.record(lat_us);
  } else {
    recv_warm++;
  }
  if (now >= t0) {
    uint64_t sec = (now - t0) / 1000000;
    if (sec < tl_count.size()) {
      tl_count[sec]++;
      if (lat_us > tl_latmax[sec]) tl_latmax[sec] = lat_us;
    }
  }
}

// 43<ack id>[{...}]: the room:join of a connecting client, or a message:send of a sender.
void Worker::on_ack(Conn* c, const char* p, size_t n, uint64_t now) {
  const char* end = p + n;
  const char* q = p + 2;
  uint64_t id;
  if (!parse_u64(q, end, id)) {
    recv_other++;
    return;
  }
  ChatConn& ch = *c->chat;
  if (c->state == CS_ROOM && id == ch.join_ack) {
    if (ack_ok(q, end)) {
      const char* r = static_cast<const char*>(memmem(q, size_t(end - q), "\"room\":", 7));
      RoomFields room;
      const char* o = r ? r + 7 : end;
      if (!read_room(o, end, room) || room.id < 0) fail(c, "room:join: no room id in the ack");
      else {
        ch.room_id = room.id;
        on_joined(c, now);
      }
    } else if (++ch.join_attempts < 5) {
      // Users of one room join it at about the same time: one creates it, and a join that
      // loses that race is simply made again (it then finds the room).
      send_room_join(c);
    } else {
      fail(c, "room:join: " + ack_error(q, end));
    }
    return;
  }
  auto it = ch.pending.find(id);
  if (it == ch.pending.end()) {
    chat.ack_unmatched++;
    return;
  }
  const PendingSend sent = it->second;
  ch.pending.erase(it);
  if (sent.measured) pub.awaiting_m.store(pub.awaiting_m.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
  if (!ack_ok(q, end)) {
    if (sent.measured) chat.note_ack_error(ack_error(q, end));
    else chat.ack_err_w++;
    return;
  }
  if (now >= m_start && now < m_end) chat.acked_ok_window++;
  if (now >= t0) {
    uint64_t sec = (now - t0) / 1000000;
    if (sec < chat.tl_acked.size()) chat.tl_acked[sec]++;
  }
  if (sent.measured) {
    ch.acked_ok_m++;
    bump(pub.acked_m);
    bump(pub.owed_m, room_members[ch.room_index]);  // stored: every member of the room is owed it
    chat.ack_lat.record(now > sent.sent_at ? now - sent.sent_at : 0);
  } else {
    chat.acked_ok_w++;
  }
}

// Members per room (user gid is in room gid mod --rooms): how many deliveries a stored message
// owes. The schedule is send_schedule.cpp's.
void Worker::plan_chat_sends() {
  room_members.assign(size_t(cfg.rooms), 0);
  for (int gid = 0; gid < cfg.clients; gid++) room_members[size_t(gid % cfg.rooms)]++;
  send_one = &Worker::send_chat;
  plan_schedule();
}

bool Worker::send_chat(Conn* c, uint64_t t, uint64_t seq, bool measured) {
  ChatConn& ch = *c->chat;
  const uint64_t id = ch.next_ack;
  char msg[8192];
  int ml = snprintf(msg, sizeof msg, "42%llu[\"message:send\",{\"roomId\":%lld,\"text\":\"t=%llu s=%llu c=%u p=%c ",
                    (unsigned long long)id, (long long)ch.room_id, (unsigned long long)t, (unsigned long long)seq,
                    c->gid, measured ? 'm' : 'w');
  // Padded with 'x' to --text-bytes (and at least one, so that no server trims a trailing space).
  const char* text = strstr(msg, ",\"text\":\"") + 9;
  int tl = int(msg + ml - text);
  int pad = std::max(1, cfg.text_bytes - tl);
  memset(msg + ml, 'x', size_t(pad));
  ml += pad;
  ml += snprintf(msg + ml, sizeof msg - size_t(ml), "\",\"clientId\":\"c%u-%llu\"}]", c->gid, (unsigned long long)seq);
  if (!send_frame(c, 0x1, msg, size_t(ml))) return false;
  ch.next_ack++;
  ch.pending.emplace(id, PendingSend{t, measured});
  if (measured) bump(pub.awaiting_m);
  return true;
}
