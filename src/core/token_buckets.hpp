#pragma once
// Rate limits by key (a user id, a client address): one token bucket each, `rate` tokens per
// second up to `burst`. Shared by every shard, so it takes a lock; memory is bounded: past
// `max_keys` the buckets that have refilled completely (the same as not being there) are dropped,
// and if that is not enough, all of them (an attack from very many keys resets everyone's budget,
// which errs on the side of letting people through).
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace dchat::core {

template <typename Key>
class BasicTokenBuckets {
 public:
  using Clock = std::chrono::steady_clock;

  BasicTokenBuckets(double rate_per_second, double burst, size_t max_keys = 100000)
      : rate_(rate_per_second), burst_(burst), max_keys_(max_keys) {}

  // Takes one token for `key`: zero when allowed, otherwise how long until a token is there.
  std::chrono::milliseconds take(const Key& key, Clock::time_point now = Clock::now());
  // Returns a token taken for something that then did not happen (up to the burst).
  void give_back(const Key& key);
  size_t size() const;

 private:
  struct Bucket {
    double tokens;
    Clock::time_point at;
  };
  void prune(Clock::time_point now);

  const double rate_;
  const double burst_;
  const size_t max_keys_;
  mutable std::mutex mutex_;
  std::unordered_map<Key, Bucket> buckets_;
};

// Defined in token_buckets.cpp for these keys.
extern template class BasicTokenBuckets<int64_t>;
extern template class BasicTokenBuckets<std::string>;

using TokenBuckets = BasicTokenBuckets<int64_t>;             // by user id
using StringTokenBuckets = BasicTokenBuckets<std::string>;  // by client address, or anything named

}  // namespace dchat::core
