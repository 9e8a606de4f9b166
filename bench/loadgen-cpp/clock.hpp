// Time helpers: CLOCK_MONOTONIC for everything measured (send times, latency, schedules), and
// CLOCK_REALTIME only for the "ts" field the messages carry (Date.now() in the Node tool).
#pragma once

#include <time.h>

#include <cstdint>

inline uint64_t now_us() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000ull + uint64_t(ts.tv_nsec) / 1000ull;
}

inline uint64_t realtime_ms() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return uint64_t(ts.tv_sec) * 1000ull + uint64_t(ts.tv_nsec) / 1000000ull;
}

// nanosleep can wake early (signals): loop until the monotonic clock has reached t.
inline void sleep_until_us(uint64_t t) {
  for (;;) {
    uint64_t n = now_us();
    if (n >= t) return;
    uint64_t d = t - n;
    timespec ts{time_t(d / 1000000), long((d % 1000000) * 1000)};
    nanosleep(&ts, nullptr);
  }
}
