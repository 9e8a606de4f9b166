// The senders' open-loop schedule, the same for every scenario: sender i of S sends at
// t0 + (k + i/S)·S/R, so that the senders' sends interleave evenly, and a send that is due goes
// out now, late or not (the delay is the send lag). What a send writes is the scenario's
// (send_one: send_fanout or send_chat).
#include <algorithm>

#include "clock.hpp"
#include "worker.hpp"

void Worker::plan_schedule() {
  const int S = cfg.senders;
  interval_us = 1e6 * S / cfg.rate;
  for (Conn* c : conns) snd.push_back({c, 0, double(c->gid) / S, false});
}

uint64_t Worker::do_sends(uint64_t now) {
  uint64_t next = UINT64_MAX;
  bool all_done = true;
  for (Snd& s : snd) {
    if (s.done) continue;
    for (;;) {
      uint64_t sched = t0 + uint64_t((double(s.k) + s.phase) * interval_us);
      if (sched >= m_end) {
        s.done = true;
        break;
      }
      if (sched > now) {
        next = std::min(next, sched);
        break;
      }
      bool measured = sched >= m_start;
      s.k++;
      if (s.c->state != CS_CONNECTED || s.c->fd < 0) {
        send_failed++;
        continue;
      }
      uint64_t t = now_us();
      if (!(this->*send_one)(s.c, t, s.k, measured)) {
        send_failed++;
        continue;
      }
      if (measured) {
        bump(pub.sent_m);
        lag.record(t > sched ? t - sched : 0);
      } else {
        sent_warm++;
      }
      now = t;
    }
    if (!s.done) all_done = false;
  }
  if (all_done) control.sender_done.store(true, std::memory_order_release);
  return all_done ? UINT64_MAX : next;
}
