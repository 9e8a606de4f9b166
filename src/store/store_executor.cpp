#include "store/store_executor.hpp"

#include <spdlog/spdlog.h>

#include <vector>

#include "core/log_throttle.hpp"

namespace dchat::store {

StoreExecutor::StoreExecutor(Factory factory, size_t threads, size_t max_queue) : jobs_(max_queue) {
  if (threads == 0) threads = 1;
  std::vector<std::unique_ptr<Store>> stores;
  for (size_t i = 0; i < threads; ++i) {
    stores.push_back(factory());
    if (i == 0) stores.back()->migrate();
  }
  for (auto& store : stores)
    jobs_.spawn_worker([this, store = std::move(store)](Job& job) {
      job.run(store.get(), false);
      jobs_.done();
    });
}

StoreExecutor::~StoreExecutor() {
  // Jobs still queued complete with an error so nobody waits forever.
  for (auto& job : jobs_.stop()) job->run(nullptr, false);
}

size_t StoreExecutor::queued() const { return jobs_.size(); }

void StoreExecutor::submit(std::unique_ptr<Job> job) {
  const auto pushed = jobs_.push(job);
  if (pushed == core::BoundedWorkQueue<Job>::Push::queued) return;
  const bool stopping = pushed == core::BoundedWorkQueue<Job>::Push::closed;
  core::metrics().store_refused.inc();
  CHAT_LOG_THROTTLED(spdlog::level::warn, "store: {}, refusing a request",
                     stopping ? "stopping" : fmt::format("{} requests queued", jobs_.capacity()));
  job->run(nullptr, !stopping);
}

}  // namespace dchat::store
