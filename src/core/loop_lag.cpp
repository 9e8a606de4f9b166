#include "core/loop_lag.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>

namespace dchat::core {

LoopLag::LoopLag(ShardPool& pool, std::chrono::milliseconds period) : pool_(pool), period_(period) {
  for (size_t i = 0; i < pool.size(); ++i) {
    auto slot = std::make_unique<Slot>();
    slot->timer = std::make_unique<boost::asio::steady_timer>(pool.context(i));
    slots_.push_back(std::move(slot));
  }
}

LoopLag::~LoopLag() {
  lifeline_.cut();
  for (auto& slot : slots_) slot->timer->cancel();
}

void LoopLag::start() {
  for (size_t i = 0; i < slots_.size(); ++i)
    boost::asio::post(pool_.context(i), lifeline_.guard([this, i] { arm(i); }));
}

void LoopLag::arm(size_t shard) {
  Slot& slot = *slots_[shard];
  slot.due = std::chrono::steady_clock::now() + period_;
  slot.timer->expires_at(slot.due);
  slot.timer->async_wait(lifeline_.guard([this, shard](boost::system::error_code ec) {
    if (ec) return;
    Slot& s = *slots_[shard];
    const int64_t late = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - s.due).count();
    // Smoothed (a quarter of each new sample), so one long handler does not flip it, and a
    // loop that catches up is seen to within a few periods.
    const int64_t before = s.lag_us.load(std::memory_order_relaxed);
    s.lag_us.store(before + (std::max<int64_t>(late, 0) - before) / 4, std::memory_order_relaxed);
    arm(shard);
  }));
}

std::chrono::milliseconds LoopLag::current() const {
  const size_t shard = ShardPool::current();
  int64_t us = 0;
  if (shard != ShardPool::kNoShard && shard < slots_.size()) {
    us = slots_[shard]->lag_us.load(std::memory_order_relaxed);
  } else {
    for (const auto& slot : slots_) us = std::max(us, slot->lag_us.load(std::memory_order_relaxed));
  }
  return std::chrono::milliseconds(us / 1000);
}

}  // namespace dchat::core
