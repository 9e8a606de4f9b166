#include "core/concurrency_limiter.hpp"

namespace dchat::core {

ConcurrencyLimiter::ConcurrencyLimiter(size_t max_total, size_t max_per_key)
    : state_(std::make_shared<State>()) {
  state_->max_total = max_total;
  state_->max_per_key = max_per_key;
}

ConcurrencyLimiter::Acquired ConcurrencyLimiter::acquire(const std::string& key, bool exempt) {
  {
    std::lock_guard lock(state_->mutex);
    if (state_->total >= state_->max_total) return {nullptr, Refusal::total};
    if (!exempt) {
      auto& n = state_->per_key[key];
      if (n >= state_->max_per_key) return {nullptr, Refusal::per_client};
      ++n;
    }
    ++state_->total;
  }
  // The deleter gives the slot back; the pointer itself is a dummy (nothing is allocated for it
  // but the control block).
  auto release = [state = state_, key = exempt ? std::string() : key, exempt](void*) {
    std::lock_guard lock(state->mutex);
    --state->total;
    if (exempt) return;
    auto it = state->per_key.find(key);
    if (it != state->per_key.end() && --it->second == 0) state->per_key.erase(it);
  };
  return {std::shared_ptr<void>(static_cast<void*>(state_.get()), std::move(release)), Refusal::none};
}

size_t ConcurrencyLimiter::total() const {
  std::lock_guard lock(state_->mutex);
  return state_->total;
}

size_t ConcurrencyLimiter::of(const std::string& key) const {
  std::lock_guard lock(state_->mutex);
  auto it = state_->per_key.find(key);
  return it == state_->per_key.end() ? 0 : it->second;
}

}  // namespace dchat::core
