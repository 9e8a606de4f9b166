#pragma once
// Lets an object that posts work to an io_context (timers, callbacks from other threads) be
// stopped and destroyed while such work is still queued: every handler is wrapped with
// guard(), holds the Lifeline's shared state, and does nothing once cut() has returned.
// cut() waits for a guarded handler that is running right now to finish.
#include <memory>
#include <mutex>
#include <utility>

namespace dchat::core {

class Lifeline {
 public:
  Lifeline() : state_(std::make_shared<State>()) {}

  // After this returns, no guarded handler runs (or is running), on any thread. Idempotent;
  // callable from inside a guarded handler.
  void cut() {
    std::lock_guard lock(state_->mutex);
    state_->alive = false;
  }

  template <typename F>
  auto guard(F f) const {
    return [state = state_, f = std::move(f)](auto&&... args) mutable {
      std::lock_guard lock(state->mutex);
      if (state->alive) f(std::forward<decltype(args)>(args)...);
    };
  }

 private:
  struct State {
    std::recursive_mutex mutex;
    bool alive = true;
  };
  std::shared_ptr<State> state_;
};

}  // namespace dchat::core
