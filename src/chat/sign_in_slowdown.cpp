#include "chat/sign_in_slowdown.hpp"

#include <algorithm>

#include "core/attempt_table.hpp"

namespace dchat::chat {

std::chrono::seconds SignInSlowdown::delay_after(size_t failures, const SlowdownPolicy& policy) {
  if (failures < policy.free_failures) return std::chrono::seconds(0);
  // 2^k overflows nothing below k = 30, and any cap is reached long before.
  const size_t doublings = std::min<size_t>(failures - policy.free_failures, 30);
  const auto delay = policy.first_delay * (int64_t{1} << doublings);
  return std::min(delay, policy.max_delay);
}

class SignInSlowdown::State final : public AttemptLedger {
 public:
  State(SlowdownPolicy policy, size_t max_keys) : policy_(policy), table_(max_keys) {}

  std::chrono::seconds admit(const std::string& key, LimitClock::time_point now) {
    const auto expired = [&](const Entry& e) { return forgotten(e, now); };
    return table_.admit(
        key,
        [&](Entry& e) {
          if (forgotten(e, now)) e = Entry{};
          // Free while failures and attempts still running stay below the free ones; after that
          // one attempt at a time, each once its delay has passed.
          const bool free = e.failures + e.in_flight < policy_.free_failures;
          const bool due = e.in_flight == 0 && now >= e.next_allowed;
          if (free || due) return std::chrono::seconds(0);
          return std::max(std::chrono::seconds(1), std::chrono::ceil<std::chrono::seconds>(e.next_allowed - now));
        },
        expired);
  }

  void end(const std::string& key, AttemptOutcome outcome, LimitClock::time_point now) override {
    table_.end(key, [&](Entry& e) {
      if (outcome == AttemptOutcome::failed) {
        ++e.failures;
        e.last_failure = now;
        e.next_allowed = now + delay_after(e.failures, policy_);
      } else if (outcome == AttemptOutcome::succeeded) {
        e.failures = 0;
        e.next_allowed = {};
      }
    });
  }

  size_t size() const { return table_.size(); }

 private:
  struct Entry : core::AttemptCounts {
    LimitClock::time_point last_failure;
    LimitClock::time_point next_allowed;
  };

  bool forgotten(const Entry& e, LimitClock::time_point now) const {
    return e.in_flight == 0 && e.failures > 0 && now >= e.last_failure + policy_.forget_after &&
           now >= e.next_allowed;
  }

  const SlowdownPolicy policy_;
  core::AttemptTable<Entry> table_;
};

SignInSlowdown::SignInSlowdown(SlowdownPolicy policy, size_t max_keys)
    : state_(std::make_shared<State>(policy, max_keys)) {}

Admission SignInSlowdown::begin(const std::string& key, LimitClock::time_point now) {
  return admission(state_->admit(key, now), state_, key);
}

size_t SignInSlowdown::size() const { return state_->size(); }

}  // namespace dchat::chat
