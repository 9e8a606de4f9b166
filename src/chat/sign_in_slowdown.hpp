#pragma once
// Guessing one account's password gets slower and slower, instead of locking the account: a
// hard lockout per name is a way for anyone to lock the real owner out (issue #9). A few failures
// are free (typos); after that every further attempt for the name must wait a delay that doubles
// with each failure, up to a cap, and only one attempt may run at a time. The owner's own devices
// are not subject to this at all (see device_cookie.hpp and docs/SECURITY.md), so the slowdown
// only meets guessers and the owner on a new device.
//
// Attempts in flight count (rate_limiter.hpp): 30 parallel guesses are as many as the free
// failures let through, the rest wait. A success resets the name (the password was known). The
// record of a name is forgotten `forget_after` its last failure.
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "chat/rate_limiter.hpp"

namespace dchat::chat {

struct SlowdownPolicy {
  size_t free_failures = 5;                        // failures before any delay
  std::chrono::seconds first_delay{1};             // after the last free failure; doubles after each further one
  std::chrono::seconds max_delay{600};             // the cap: 10 minutes
  std::chrono::seconds forget_after{3600};         // a name quiet this long starts afresh
};

class SignInSlowdown {
 public:
  explicit SignInSlowdown(SlowdownPolicy policy = {}, size_t max_keys = 100000);

  Admission begin(const std::string& key, LimitClock::time_point now = LimitClock::now());

  // The wait after `failures` failures (0 while they are free).
  static std::chrono::seconds delay_after(size_t failures, const SlowdownPolicy& policy);
  size_t size() const;

 private:
  class State;
  std::shared_ptr<State> state_;
};

}  // namespace dchat::chat
