#include "core/metrics.hpp"

#include <fmt/format.h>

#include "core/shard_pool.hpp"

namespace dchat::core {

void Counter::inc(uint64_t n) noexcept {
  const size_t shard = ShardPool::current();
  auto& slot = slots_[shard == ShardPool::kNoShard ? kSlots - 1 : shard % (kSlots - 1)];
  slot.value.fetch_add(n, std::memory_order_relaxed);
}

uint64_t Counter::value() const noexcept {
  uint64_t sum = 0;
  for (const auto& s : slots_) sum += s.value.load(std::memory_order_relaxed);
  return sum;
}

void LatencyHistogram::observe(double seconds) noexcept {
  size_t i = 0;
  while (i < kBounds.size() && seconds > kBounds[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_us_.fetch_add(static_cast<uint64_t>(seconds * 1e6), std::memory_order_relaxed);
}

void LatencyHistogram::render(std::string& out, const std::string& name, const std::string& help) const {
  out += fmt::format("# HELP {} {}\n# TYPE {} histogram\n", name, help, name);
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kBounds.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    out += fmt::format("{}_bucket{{le=\"{}\"}} {}\n", name, kBounds[i], cumulative);
  }
  cumulative += buckets_[kBounds.size()].load(std::memory_order_relaxed);
  out += fmt::format("{}_bucket{{le=\"+Inf\"}} {}\n", name, cumulative);
  out += fmt::format("{}_sum {}\n", name, static_cast<double>(sum_us_.load(std::memory_order_relaxed)) / 1e6);
  out += fmt::format("{}_count {}\n", name, count_.load(std::memory_order_relaxed));
}

Metrics& metrics() noexcept {
  static Metrics instance;
  return instance;
}

void render_counter(std::string& out, const std::string& name, const std::string& help, uint64_t value) {
  out += fmt::format("# HELP {} {}\n# TYPE {} counter\n{} {}\n", name, help, name, name, value);
}

void render_gauge(std::string& out, const std::string& name, const std::string& help, double value) {
  out += fmt::format("# HELP {} {}\n# TYPE {} gauge\n{} {}\n", name, help, name, name, value);
}

}  // namespace dchat::core
