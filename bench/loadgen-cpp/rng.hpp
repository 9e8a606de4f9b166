// Small PRNG for WebSocket masking keys and Sec-WebSocket-Key values: one per worker thread,
// so the hot send path takes no lock and makes no system call. Not for anything secret.
#pragma once

#include <sys/random.h>

#include <cstdint>

#include "clock.hpp"

struct Rng {
  uint64_t s;
  Rng() {
    if (getrandom(&s, sizeof s, 0) != sizeof s) s = now_us() * 0x9E3779B97F4A7C15ull;
    s |= 1;
  }
  inline uint64_t next() {  // xorshift64*
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 0x2545F4914F6CDD1Dull;
  }
};
