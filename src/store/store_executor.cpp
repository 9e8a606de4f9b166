#include "store/store_executor.hpp"

#include <spdlog/spdlog.h>

#include "core/log_throttle.hpp"

namespace dchat::store {

StoreExecutor::StoreExecutor(Factory factory, size_t threads, size_t max_queue) : max_queue_(max_queue) {
  if (threads == 0) threads = 1;
  std::vector<std::unique_ptr<Store>> stores;
  for (size_t i = 0; i < threads; ++i) {
    stores.push_back(factory());
    if (i == 0) stores.back()->migrate();
  }
  for (auto& store : stores) threads_.emplace_back([this, s = std::move(store)]() mutable { worker(std::move(s)); });
}

StoreExecutor::~StoreExecutor() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_all();
  for (auto& t : threads_) t.join();
  // Jobs still queued complete with an error so nobody waits forever.
  for (auto& job : queue_) job->run(nullptr, false);
}

size_t StoreExecutor::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void StoreExecutor::submit(std::unique_ptr<Job> job) {
  bool stopping = false;
  {
    std::lock_guard lock(mutex_);
    stopping = stopping_;
    if (!stopping_ && queue_.size() < max_queue_) {
      ++in_flight_;
      queue_.push_back(std::move(job));
      ready_.notify_one();
      return;
    }
  }
  core::metrics().store_refused.inc();
  CHAT_LOG_THROTTLED(spdlog::level::warn, "store: {}, refusing a request",
                     stopping ? "stopping" : fmt::format("{} requests queued", max_queue_));
  job->run(nullptr, !stopping);
}

void StoreExecutor::worker(std::unique_ptr<Store> store) {
  while (true) {
    std::unique_ptr<Job> job;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    job->run(store.get(), false);
    --in_flight_;
  }
}

}  // namespace dchat::store
