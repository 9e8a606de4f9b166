#include "core/shard_pool.hpp"

#include <sched.h>

#include <boost/asio/executor_work_guard.hpp>

namespace dchat::core {

namespace {
thread_local size_t t_current_shard = ShardPool::kNoShard;
}

ShardPool::ShardPool(size_t shards) {
  if (shards == 0) shards = 1;
  for (size_t i = 0; i < shards; ++i) {
    // Concurrency hint 1: each context is only ever run by one thread.
    contexts_.push_back(std::make_unique<boost::asio::io_context>(1));
  }
}

ShardPool::~ShardPool() { stop(); }

size_t ShardPool::current() noexcept { return t_current_shard; }

void ShardPool::run() {
  std::vector<std::thread> threads;
  std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guards;
  for (auto& ctx : contexts_) guards.push_back(boost::asio::make_work_guard(*ctx));
  for (size_t i = 1; i < contexts_.size(); ++i) {
    threads.emplace_back([this, i] {
      t_current_shard = i;
      contexts_[i]->run();
    });
  }
  t_current_shard = 0;
  contexts_[0]->run();
  for (auto& t : threads) t.join();
  t_current_shard = kNoShard;
}

void ShardPool::stop() {
  for (auto& ctx : contexts_) ctx->stop();
}

size_t ShardPool::available_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  const int n = CPU_COUNT(&set);
  return n > 0 ? static_cast<size_t>(n) : 1;
}

}  // namespace dchat::core
