#pragma once
// Capped exponential backoff with jitter for the brokers' reconnect loops: the n-th retry waits a
// random time in [d/2, d] where d = min(initial * 2^n, max) ("equal jitter"), so replicas that
// lost the same server do not all come back in the same millisecond.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>

namespace dchat::broker {

class Backoff {
 public:
  using duration = std::chrono::milliseconds;

  explicit Backoff(duration initial = duration(100), duration max = duration(5000))
      : initial_(initial), max_(max), rng_(std::random_device{}()) {}

  // The delay before the next attempt; each call doubles the ceiling up to max.
  duration next() {
    const int64_t ceiling = std::min<int64_t>(max_.count(), initial_.count() << std::min(attempt_, 20));
    if (attempt_ < 30) ++attempt_;
    std::uniform_int_distribution<int64_t> dist(ceiling / 2, ceiling);
    return duration(dist(rng_));
  }
  // After a successful connection: the next failure starts from `initial` again.
  void reset() { attempt_ = 0; }

 private:
  duration initial_;
  duration max_;
  int attempt_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace dchat::broker
