#include "chat/rate_limiter.hpp"

#include <algorithm>

#include "core/attempt_table.hpp"

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

Admission admission(std::chrono::seconds wait, std::shared_ptr<AttemptLedger> ledger, const std::string& key) {
  if (wait.count() > 0) return Admission{Attempt(), wait};
  return Admission{Attempt(std::move(ledger), key), std::chrono::seconds(0)};
}

class RateLimiter::State final : public AttemptLedger {
 public:
  State(size_t max_failures, std::chrono::seconds window, size_t max_keys)
      : max_failures_(max_failures), window_(window), table_(max_keys) {}

  std::chrono::seconds admit(const std::string& key, LimitClock::time_point now) {
    const auto expired = [&](const Entry& e) { return now >= e.window_start + window_; };
    return table_.admit(
        key,
        [&](Entry& e) {
          if (e.failures > 0 && expired(e)) e.failures = 0;
          if (e.failures + e.in_flight < max_failures_) return std::chrono::seconds(0);
          // Over by failures: until the window ends. Over only by attempts still running: they
          // may yet succeed, so soon.
          if (e.failures >= max_failures_)
            return std::max(std::chrono::seconds(1),
                            std::chrono::ceil<std::chrono::seconds>(e.window_start + window_ - now));
          return std::chrono::seconds(1);
        },
        expired);
  }

  void end(const std::string& key, AttemptOutcome outcome, LimitClock::time_point now) override {
    table_.end(key, [&](Entry& e) {
      if (outcome != AttemptOutcome::failed) return;
      if (e.failures == 0 || now >= e.window_start + window_) {
        e.failures = 0;
        e.window_start = now;
      }
      ++e.failures;
    });
  }

  size_t size() const { return table_.size(); }

 private:
  struct Entry : core::AttemptCounts {
    LimitClock::time_point window_start;
  };

  const size_t max_failures_;
  const std::chrono::seconds window_;
  core::AttemptTable<Entry> table_;
};

RateLimiter::RateLimiter(size_t max_failures, std::chrono::seconds window, size_t max_keys)
    : state_(std::make_shared<State>(max_failures, window, max_keys)) {}

Admission RateLimiter::begin(const std::string& key, LimitClock::time_point now) {
  return admission(state_->admit(key, now), state_, key);
}

size_t RateLimiter::size() const { return state_->size(); }

}  // namespace dchat::chat
