#pragma once
// One event loop (io_context) per core, each run by exactly one thread. A connection and the
// Engine.IO session it serves live on one shard, so their state needs no locks; work for
// another shard is posted to it.
#include <boost/asio/io_context.hpp>

#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

namespace dchat::core {

class ShardPool {
 public:
  explicit ShardPool(size_t shards);
  ~ShardPool();

  size_t size() const noexcept { return contexts_.size(); }
  boost::asio::io_context& context(size_t shard) noexcept { return *contexts_[shard]; }

  // The shard whose thread is running the caller; kNoShard on other threads.
  static constexpr size_t kNoShard = static_cast<size_t>(-1);
  static size_t current() noexcept;

  // Runs every shard on its own thread and blocks until all stop.
  void run();
  void stop();

  // The number of CPUs this process may run on (sched_getaffinity), at least 1.
  static size_t available_cpus();

 private:
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
};

}  // namespace dchat::core
