#include "core/log_throttle.hpp"

namespace dchat::core {

std::optional<uint64_t> LogThrottle::admit() noexcept {
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  int64_t start = window_start_ms_.load(std::memory_order_relaxed);
  if ((start == kNever || now - start >= interval_ms_) &&
      window_start_ms_.compare_exchange_strong(start, now, std::memory_order_relaxed)) {
    written_.store(0, std::memory_order_relaxed);
  }
  if (written_.fetch_add(1, std::memory_order_relaxed) < burst_) return suppressed_.exchange(0, std::memory_order_relaxed);
  suppressed_.fetch_add(1, std::memory_order_relaxed);
  return std::nullopt;
}

}  // namespace dchat::core
