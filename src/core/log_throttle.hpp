#pragma once
// Log lines that a client can trigger at will (a slow reader, a refused request, a failed
// accept) are written at most a few times per interval per call site; the next line written
// says how many were suppressed meanwhile. One misbehaving client, or ten thousand, then costs
// a bounded number of log lines instead of filling the disk (an EMFILE accept loop once wrote
// 443,143 lines in 3 s).
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string_view>

namespace dchat::core {

class LogThrottle {
 public:
  explicit LogThrottle(std::chrono::milliseconds interval = std::chrono::seconds(10), uint32_t burst = 5)
      : interval_ms_(interval.count()), burst_(burst) {}

  // When this line may be written: how many were suppressed since the last written one.
  // Thread-safe and lock-free; a race at a window boundary may let one extra line through.
  std::optional<uint64_t> admit() noexcept;

 private:
  const int64_t interval_ms_;
  const uint32_t burst_;
  static constexpr int64_t kNever = -1;
  std::atomic<int64_t> window_start_ms_{kNever};
  std::atomic<uint32_t> written_{0};
  std::atomic<uint64_t> suppressed_{0};
};

}  // namespace dchat::core

// CHAT_LOG_THROTTLED(spdlog::level::warn, "engine.io: session {} cannot keep up", sid);
// One throttle per call site (a function-local static); the message is only formatted when it
// is written.
#define CHAT_LOG_THROTTLED(level, ...)                                                        \
  do {                                                                                        \
    static ::dchat::core::LogThrottle chat_log_throttle_;                                     \
    if (spdlog::should_log(level)) {                                                          \
      if (const auto chat_suppressed_ = chat_log_throttle_.admit()) {                         \
        if (*chat_suppressed_ == 0)                                                           \
          spdlog::log(level, __VA_ARGS__);                                                    \
        else {                                                                                \
          /* spdlog's own buffer type: no allocation for short lines */                      \
          spdlog::memory_buf_t chat_line_;                                                    \
          fmt::format_to(std::back_inserter(chat_line_), __VA_ARGS__);                        \
          spdlog::log(level, "{} ({} similar lines suppressed)",                              \
                      std::string_view(chat_line_.data(), chat_line_.size()), *chat_suppressed_); \
        }                                                                                     \
      }                                                                                       \
    }                                                                                         \
  } while (false)
