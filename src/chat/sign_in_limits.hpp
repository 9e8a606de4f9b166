#pragma once
// Every limit a sign-in (POST /api/session) passes, in one place (docs/SECURITY.md, "Sign-in"):
//
//   attempts     per client address, every attempt (right, wrong or new): a token bucket,
//                CHAT_SIGN_INS_PER_MINUTE (20) a minute; checked before anything costs.
//   sign-ups     accounts made per client address (CHAT_SIGN_UPS_PER_HOUR, 10 an hour) and by
//                everyone together (CHAT_SIGN_UPS_PER_MINUTE_TOTAL, 60 a minute), before the
//                new password is hashed.
//   failures     wrong passwords per client address: 20 a minute, attempts in flight counted.
//   name         wrong passwords per account name: a slowdown, not a lockout (sign_in_slowdown.hpp).
//   device       instead of the name's slowdown, for a browser with a device cookie of that
//                account: 5 wrong passwords per 15 minutes for that device alone.
//
// "Client address" is the request's limit key: the peer's address, or behind trusted proxies the
// one they report, IPv6 by /64 (http/client_address.hpp).
#include <chrono>
#include <cstdint>
#include <string>

#include "chat/rate_limiter.hpp"
#include "chat/sign_in_slowdown.hpp"
#include "core/token_buckets.hpp"

namespace dchat::chat {

struct SignInLimitOptions {
  uint32_t attempts_per_minute = 20;
  uint32_t sign_ups_per_hour = 10;
  uint32_t sign_ups_per_minute_total = 60;
  size_t failures_per_address = 20;
  std::chrono::seconds address_window{60};
  size_t failures_per_device = 5;
  std::chrono::seconds device_window{15 * 60};
  SlowdownPolicy name_slowdown;
};

class SignInLimits {
 public:
  explicit SignInLimits(const SignInLimitOptions& options);

  // Counts one attempt of `address`: zero when it may go on, else how long to wait.
  std::chrono::seconds take_attempt(const std::string& address);
  // One more account for `address` and in all: zero, or how long to wait (and nothing taken).
  std::chrono::seconds take_sign_up(const std::string& address);
  // The account was not made after all because its password was never hashed (the hashing queue
  // was full): it does not count.
  void give_back_sign_up(const std::string& address);

  Admission begin_address(const std::string& address) { return by_address_.begin(address); }
  Admission begin_name(const std::string& name_key) { return by_name_.begin(name_key); }
  Admission begin_device(const std::string& device_nonce) { return by_device_.begin(device_nonce); }

 private:
  core::StringTokenBuckets attempts_;
  core::StringTokenBuckets sign_ups_;
  core::StringTokenBuckets sign_ups_total_;  // one key: everyone
  RateLimiter by_address_;
  SignInSlowdown by_name_;
  RateLimiter by_device_;
};

}  // namespace dchat::chat
