#include "chat/sign_in_limits.hpp"

#include <algorithm>

namespace dchat::chat {

namespace {

// Retry-After is in whole seconds, and never 0 for a refusal.
std::chrono::seconds whole_seconds(std::chrono::milliseconds wait) {
  if (wait.count() <= 0) return std::chrono::seconds(0);
  return std::max(std::chrono::seconds(1), std::chrono::ceil<std::chrono::seconds>(wait));
}

const std::string kEveryone;

}  // namespace

SignInLimits::SignInLimits(const SignInLimitOptions& o)
    : attempts_(o.attempts_per_minute / 60.0, o.attempts_per_minute),
      sign_ups_(o.sign_ups_per_hour / 3600.0, o.sign_ups_per_hour),
      sign_ups_total_(o.sign_ups_per_minute_total / 60.0, o.sign_ups_per_minute_total),
      by_address_(o.failures_per_address, o.address_window),
      by_name_(o.name_slowdown),
      by_device_(o.failures_per_device, o.device_window) {}

std::chrono::seconds SignInLimits::take_attempt(const std::string& address) {
  return whole_seconds(attempts_.take(address));
}

std::chrono::seconds SignInLimits::take_sign_up(const std::string& address) {
  // The client's own budget first, so one client at its limit cannot use up everyone's.
  if (const auto wait = sign_ups_.take(address); wait.count() > 0) return whole_seconds(wait);
  if (const auto wait = sign_ups_total_.take(kEveryone); wait.count() > 0) {
    sign_ups_.give_back(address);
    return whole_seconds(wait);
  }
  return std::chrono::seconds(0);
}

void SignInLimits::give_back_sign_up(const std::string& address) {
  sign_ups_.give_back(address);
  sign_ups_total_.give_back(kEveryone);
}

}  // namespace dchat::chat
