#include "chat/rate_limiter.hpp"

#include <algorithm>
#include <mutex>
#include <unordered_map>

namespace dchat::chat {

Attempt& Attempt::operator=(Attempt&& other) noexcept {
  if (this != &other) {
    end(AttemptOutcome::released, LimitClock::now());
    ledger_ = std::move(other.ledger_);
    key_ = std::move(other.key_);
  }
  return *this;
}

void Attempt::end(AttemptOutcome outcome, LimitClock::time_point now) {
  if (!ledger_) return;
  auto ledger = std::move(ledger_);
  ledger_ = nullptr;
  ledger->end(key_, outcome, now);
}

class RateLimiter::State final : public AttemptLedger {
 public:
  State(size_t max_failures, std::chrono::seconds window, size_t max_keys)
      : max_failures_(max_failures), window_(window), max_keys_(max_keys) {}

  std::chrono::seconds admit(const std::string& key, LimitClock::time_point now) {
    std::lock_guard lock(mutex_);
    if (entries_.size() >= max_keys_ && !entries_.contains(key)) prune(now);
    Entry& e = entries_[key];
    if (e.failures > 0 && now >= e.window_start + window_) e.failures = 0;
    if (e.failures + e.in_flight < max_failures_) {
      ++e.in_flight;
      return std::chrono::seconds(0);
    }
    // Over by failures: until the window ends. Over only by attempts still running: they may
    // yet succeed, so soon.
    if (e.failures >= max_failures_)
      return std::max(std::chrono::seconds(1), std::chrono::ceil<std::chrono::seconds>(e.window_start + window_ - now));
    return std::chrono::seconds(1);
  }

  void end(const std::string& key, AttemptOutcome outcome, LimitClock::time_point now) override {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return;  // forgotten meanwhile (see prune)
    Entry& e = it->second;
    if (e.in_flight > 0) --e.in_flight;
    if (outcome == AttemptOutcome::failed) {
      if (e.failures == 0 || now >= e.window_start + window_) {
        e.failures = 0;
        e.window_start = now;
      }
      ++e.failures;
    }
    if (e.failures == 0 && e.in_flight == 0) entries_.erase(it);
  }

  size_t size() const {
    std::lock_guard lock(mutex_);
    return entries_.size();
  }

 private:
  struct Entry {
    size_t failures = 0;
    size_t in_flight = 0;
    LimitClock::time_point window_start;
  };

  void prune(LimitClock::time_point now) {
    std::erase_if(entries_, [&](const auto& kv) {
      const Entry& e = kv.second;
      return e.in_flight == 0 && (e.failures == 0 || now >= e.window_start + window_);
    });
    // Still full: very many keys. Attempts in flight stay counted (there are only as many as
    // requests being served); everything else is forgotten rather than grown.
    if (entries_.size() >= max_keys_) std::erase_if(entries_, [](const auto& kv) { return kv.second.in_flight == 0; });
  }

  const size_t max_failures_;
  const std::chrono::seconds window_;
  const size_t max_keys_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

RateLimiter::RateLimiter(size_t max_failures, std::chrono::seconds window, size_t max_keys)
    : state_(std::make_shared<State>(max_failures, window, max_keys)) {}

Admission RateLimiter::begin(const std::string& key, LimitClock::time_point now) {
  const auto wait = state_->admit(key, now);
  if (wait.count() > 0) return Admission{Attempt(), wait};
  return Admission{Attempt(state_, key), std::chrono::seconds(0)};
}

size_t RateLimiter::size() const { return state_->size(); }

}  // namespace dchat::chat
