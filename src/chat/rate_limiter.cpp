#include "chat/rate_limiter.hpp"

namespace dchat::chat {

std::chrono::seconds RateLimiter::retry_after(const std::string& key, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::chrono::seconds(0);
  const auto ends = it->second.window_start + window_;
  if (now >= ends) {
    entries_.erase(it);
    return std::chrono::seconds(0);
  }
  if (it->second.failures < max_failures_) return std::chrono::seconds(0);
  return std::chrono::ceil<std::chrono::seconds>(ends - now);
}

void RateLimiter::record_failure(const std::string& key, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (entries_.size() >= max_keys_) prune(now);
  auto& e = entries_[key];
  if (e.failures == 0 || now >= e.window_start + window_) {
    e.failures = 0;
    e.window_start = now;
  }
  ++e.failures;
}

void RateLimiter::reset(const std::string& key) {
  std::lock_guard lock(mutex_);
  entries_.erase(key);
}

void RateLimiter::prune(Clock::time_point now) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    it = now >= it->second.window_start + window_ ? entries_.erase(it) : std::next(it);
  }
  // Still full: an attack from very many keys. Forget everything rather than grow.
  if (entries_.size() >= max_keys_) entries_.clear();
}

}  // namespace dchat::chat
