#pragma once
// Counts failures per key (a user name, an address) in a sliding window; too many and the key
// is refused until the window has passed. Shared by all shards, so it takes a lock; it is only
// consulted on sign-in attempts. Memory is bounded: the table is pruned of expired entries and
// capped (past the cap the oldest-expiring entries go first).
#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

namespace dchat::chat {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  RateLimiter(size_t max_failures, std::chrono::seconds window, size_t max_keys = 100000)
      : max_failures_(max_failures), window_(window), max_keys_(max_keys) {}

  // Zero when `key` may try now; otherwise how long it must wait.
  std::chrono::seconds retry_after(const std::string& key, Clock::time_point now = Clock::now());
  void record_failure(const std::string& key, Clock::time_point now = Clock::now());
  void reset(const std::string& key);

 private:
  struct Entry {
    size_t failures = 0;
    Clock::time_point window_start;
  };
  void prune(Clock::time_point now);

  size_t max_failures_;
  std::chrono::seconds window_;
  size_t max_keys_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace dchat::chat
