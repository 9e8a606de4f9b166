#include "store/store_executor.hpp"

#include <spdlog/spdlog.h>

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
  for (auto& job : queue_) job->run(nullptr);
}

size_t StoreExecutor::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void StoreExecutor::submit(std::unique_ptr<Job> job) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_ && queue_.size() < max_queue_) {
      ++in_flight_;
      queue_.push_back(std::move(job));
      ready_.notify_one();
      return;
    }
  }
  spdlog::warn("store: queue full or stopping, refusing a request");
  job->run(nullptr);
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
    job->run(store.get());
    --in_flight_;
  }
}

}  // namespace dchat::store
