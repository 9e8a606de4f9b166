#pragma once
// How far behind each event loop is: a timer on every shard asks to run every `period` and
// measures how late it actually ran. A loop that is saturated (more work arrives than one core
// can do) shows a growing lag long before memory grows, so work that can be refused cheaply
// (a new message) is refused with "overloaded" while the lag is high, instead of making every
// request wait longer. Read from any thread; written by each shard's own timer.
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <vector>

#include "core/lifeline.hpp"
#include "core/shard_pool.hpp"

namespace dchat::core {

class LoopLag {
 public:
  explicit LoopLag(ShardPool& pool, std::chrono::milliseconds period = std::chrono::milliseconds(50));
  ~LoopLag();
  void start();

  // The current shard's lag (smoothed), or the worst one's when called off the shards.
  std::chrono::milliseconds current() const;

 private:
  struct Slot {
    std::unique_ptr<boost::asio::steady_timer> timer;
    std::atomic<int64_t> lag_us{0};
    std::chrono::steady_clock::time_point due;
  };
  void arm(size_t shard);

  ShardPool& pool_;
  const std::chrono::milliseconds period_;
  std::vector<std::unique_ptr<Slot>> slots_;
  Lifeline lifeline_;
};

}  // namespace dchat::core
