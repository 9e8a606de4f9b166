// The fanout scenario's messages, on both ends: the message a sender writes (on the schedule
// of send_schedule.cpp), and what a receiver reads back from each delivery (hot path).
//
// Message: 42["chat message",{"room":<room>,"text":"t=<us> s=<seq> c=<sender> p=<m|w> xxx…","ts":<ms>}]
// t is the CLOCK_MONOTONIC send time in µs, p=m marks a measured message (scheduled inside
// the measured window), p=w a warm-up one; the text is padded with 'x' to --text-bytes.
#include <cstdio>
#include <cstring>

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

// Writes the whole Socket.IO packet into msg (8 KiB); returns its length.
size_t compose_message(char* msg, size_t msg_cap, const std::string& head, int text_bytes, uint64_t t, uint64_t seq,
                       uint32_t sender, bool measured) {
  char text[4096];
  int tl = snprintf(text, sizeof text, "t=%llu s=%llu c=%u p=%c ", (unsigned long long)t, (unsigned long long)seq,
                    sender, measured ? 'm' : 'w');
  if (tl < text_bytes) {
    memset(text + tl, 'x', size_t(text_bytes - tl));
    tl = text_bytes;
  }
  size_t ml = head.size();
  memcpy(msg, head.data(), ml);
  memcpy(msg + ml, text, size_t(tl));
  ml += size_t(tl);
  ml += size_t(snprintf(msg + ml, msg_cap - ml, "\",\"ts\":%llu}]", (unsigned long long)realtime_ms()));
  return ml;
}

}  // namespace

// Hot path: a broadcast delivery. No JSON parsing: locate "text", then read
// the fields the sender wrote at its start.
void Worker::on_event(Conn* c, const char* p, size_t n, uint64_t now) {
  static constexpr char pre[] = "42[\"chat message\",";
  const char* end = p + n;
  if (n < sizeof pre - 1 || memcmp(p, pre, sizeof pre - 1) != 0) {
    if (!memmem(p, n, "\"chat message\"", 14)) {
      recv_other++;
      return;
    }
  }
  const size_t skip = n > 16 ? 16 : 0;
  const char* k = static_cast<const char*>(memmem(p + skip, n - skip, "\"text\"", 6));
  if (!k) {
    recv_other++;
    return;
  }
  const char* q = k + 6;
  while (q < end && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')) q++;
  if (q >= end || *q != ':') {
    recv_other++;
    return;
  }
  q++;
  while (q < end && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')) q++;
  if (q >= end || *q != '"') {
    recv_other++;
    return;
  }
  const char* text = ++q;
  uint64_t ts, seq, snd_id;
  if (end - q < 16 || q[0] != 't' || q[1] != '=') {
    recv_other++;
    return;
  }
  q += 2;
  if (!parse_u64(q, end, ts) || end - q < 3 || q[0] != ' ' || q[1] != 's' || q[2] != '=') {
    recv_other++;
    return;
  }
  q += 3;
  if (!parse_u64(q, end, seq) || end - q < 3 || q[0] != ' ' || q[1] != 'c' || q[2] != '=') {
    recv_other++;
    return;
  }
  q += 3;
  if (!parse_u64(q, end, snd_id) || end - q < 4 || q[0] != ' ' || q[1] != 'p' || q[2] != '=') {
    recv_other++;
    return;
  }
  char phase = q[3];
  // text must come back unchanged: same length, closing quote where expected
  if (end - text <= cfg.text_bytes || text[cfg.text_bytes] != '"') text_bad++;
  if (now >= m_start && now < m_end) recv_window++;
  uint64_t lat_us = now > ts ? now - ts : 0;
  if (phase == 'm') {
    bump(pub.recv_m);
    c->recv_m++;
    lat.record(lat_us);
  } else {
    recv_warm++;
  }
  if (c->last_seq && snd_id < uint64_t(cfg.senders)) {
    uint32_t& ls = c->last_seq[snd_id];
    if (seq <= ls) dup_or_reorder++;
    else ls = uint32_t(seq);
  }
  if (now >= t0) {
    uint64_t sec = (now - t0) / 1000000;
    if (sec < tl_count.size()) {
      tl_count[sec]++;
      if (lat_us > tl_latmax[sec]) tl_latmax[sec] = lat_us;
    }
  }
}

// The message head is the same for every send; the schedule is send_schedule.cpp's.
void Worker::plan_fanout_sends() {
  head = "42[\"chat message\",{\"room\":\"" + cfg.room + "\",\"text\":\"";
  send_one = &Worker::send_fanout;
  plan_schedule();
}

bool Worker::send_fanout(Conn* c, uint64_t t, uint64_t seq, bool measured) {
  char msg[8192];
  size_t ml = compose_message(msg, sizeof msg, head, cfg.text_bytes, t, seq, c->gid, measured);
  return send_frame(c, 0x1, msg, ml);
}
