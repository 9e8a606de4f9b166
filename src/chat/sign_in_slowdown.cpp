#include "chat/sign_in_slowdown.hpp"

#include <algorithm>
#include <mutex>
#include <unordered_map>

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
  State(SlowdownPolicy policy, size_t max_keys) : policy_(policy), max_keys_(max_keys) {}

  std::chrono::seconds admit(const std::string& key, LimitClock::time_point now) {
    std::lock_guard lock(mutex_);
    if (entries_.size() >= max_keys_ && !entries_.contains(key)) prune(now);
    Entry& e = entries_[key];
    if (forgotten(e, now)) e = Entry{};
    // Free while failures and attempts still running stay below the free ones; after that one
    // attempt at a time, each once its delay has passed.
    const bool free = e.failures + e.in_flight < policy_.free_failures;
    const bool due = e.in_flight == 0 && now >= e.next_allowed;
    if (free || due) {
      ++e.in_flight;
      return std::chrono::seconds(0);
    }
    return std::max(std::chrono::seconds(1), std::chrono::ceil<std::chrono::seconds>(e.next_allowed - now));
  }

  void end(const std::string& key, AttemptOutcome outcome, LimitClock::time_point now) override {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return;
    Entry& e = it->second;
    if (e.in_flight > 0) --e.in_flight;
    if (outcome == AttemptOutcome::failed) {
      ++e.failures;
      e.last_failure = now;
      e.next_allowed = now + delay_after(e.failures, policy_);
    } else if (outcome == AttemptOutcome::succeeded) {
      e.failures = 0;
      e.next_allowed = {};
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
    LimitClock::time_point last_failure;
    LimitClock::time_point next_allowed;
  };

  bool forgotten(const Entry& e, LimitClock::time_point now) const {
    return e.in_flight == 0 && e.failures > 0 && now >= e.last_failure + policy_.forget_after &&
           now >= e.next_allowed;
  }

  void prune(LimitClock::time_point now) {
    std::erase_if(entries_, [&](const auto& kv) { return kv.second.in_flight == 0 && (kv.second.failures == 0 || forgotten(kv.second, now)); });
    if (entries_.size() >= max_keys_) std::erase_if(entries_, [](const auto& kv) { return kv.second.in_flight == 0; });
  }

  const SlowdownPolicy policy_;
  const size_t max_keys_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

SignInSlowdown::SignInSlowdown(SlowdownPolicy policy, size_t max_keys)
    : state_(std::make_shared<State>(policy, max_keys)) {}

Admission SignInSlowdown::begin(const std::string& key, LimitClock::time_point now) {
  const auto wait = state_->admit(key, now);
  if (wait.count() > 0) return Admission{Attempt(), wait};
  return Admission{Attempt(state_, key), std::chrono::seconds(0)};
}

size_t SignInSlowdown::size() const { return state_->size(); }

}  // namespace dchat::chat
