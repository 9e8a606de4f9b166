#include "store/store_executor.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <vector>

#include "core/log_throttle.hpp"

namespace dchat::store {

StoreExecutor::StoreExecutor(Factory factory, size_t threads, size_t max_queue, size_t max_group,
                             std::chrono::microseconds group_wait)
    : jobs_(max_queue), writes_(max_queue) {
  if (threads == 0) threads = 1;
  std::vector<std::unique_ptr<Store>> stores;
  for (size_t i = 0; i < threads + 1; ++i) {
    stores.push_back(factory());
    if (i == 0) stores.back()->migrate();
  }
  indexes_search_in_batches_ = stores.front()->indexes_search_in_batches();
  threads_ = threads;
  std::unique_ptr<Store> writer = std::move(stores.back());
  stores.pop_back();
  for (auto& store : stores)
    jobs_.spawn_worker([this, store = std::move(store)](Job& job) {
      job.execute(*store);
      job.complete();
      jobs_.done();
    });
  writes_.spawn_batch_worker(max_group, group_wait,
                             [this, store = std::move(writer)](std::vector<std::unique_ptr<Job>>& group) {
                               run_group(*store, group);
                             });
}

StoreExecutor::~StoreExecutor() {
  // Jobs still queued complete with an error so nobody waits forever.
  for (Queue* queue : {&writes_, &jobs_}) {
    for (auto& job : queue->stop()) {
      job->fail(StoreError::Kind::unavailable, "storage is shutting down");
      job->complete();
      queue->done();
    }
  }
}

size_t StoreExecutor::queued() const { return jobs_.size() + writes_.size(); }

namespace {

// The rooms a group's jobs will lock, ascending, each once.
template <typename Group>
std::vector<int64_t> rooms_of(const Group& group) {
  std::vector<int64_t> rooms;
  for (const auto& job : group)
    if (const int64_t room = job->locks_room(); room > 0) rooms.push_back(room);
  std::sort(rooms.begin(), rooms.end());
  rooms.erase(std::unique(rooms.begin(), rooms.end()), rooms.end());
  return rooms;
}

}  // namespace

void StoreExecutor::run_group(Store& store, std::vector<std::unique_ptr<Job>>& group) {
  try {
    store.begin_group();
    store.lock_rooms(rooms_of(group));
    for (size_t i = 0; i < group.size();) {
      size_t end = i;
      while (end < group.size() && group[end]->append_request()) ++end;
      if (end > i) {
        run_appends(store, group, i, end);
        i = end;
        continue;
      }
      store.begin_group_job();
      store.end_group_job(group[i]->execute(store));
      ++i;
    }
    store.commit_group();
  } catch (const std::exception& e) {
    // Nothing of the group is stored: every job's answer says so, whatever it computed. Any
    // exception (not only StoreError: bad_alloc, a driver's own): escaping, it would end the
    // writer thread and every later write would wait forever.
    store.rollback_group();
    core::metrics().store_group_failures.inc();
    CHAT_LOG_THROTTLED(spdlog::level::warn, "store: a group of {} writes could not commit: {}", group.size(), e.what());
    for (auto& job : group) job->fail(StoreError::Kind::unavailable, e.what());
  }
  core::metrics().store_groups.inc();
  core::metrics().store_group_writes.inc(group.size());
  for (auto& job : group) {
    job->complete();
    writes_.done();
  }
}

void StoreExecutor::run_appends(Store& store, std::vector<std::unique_ptr<Job>>& group, size_t begin, size_t end) {
  std::vector<AppendRequest> batch;
  batch.reserve(end - begin);
  for (size_t i = begin; i < end; ++i) batch.push_back(std::move(*group[i]->append_request()));
  // append_messages is all or nothing (its own savepoint): when it throws, these jobs fail and
  // the rest of the group goes on, as for any job that throws.
  std::vector<AppendOutcome> outcomes;
  try {
    outcomes = store.append_messages(batch);
  } catch (const std::exception& e) {
    const auto* store_error = dynamic_cast<const StoreError*>(&e);
    CHAT_LOG_THROTTLED(spdlog::level::warn, "store: a batch of {} messages could not be stored: {}", batch.size(),
                       e.what());
    for (size_t i = begin; i < end; ++i)
      group[i]->fail(store_error ? store_error->kind : StoreError::Kind::unavailable, e.what());
    return;
  }
  // Stored, but not answerable one by one: the whole group is taken back (run_group's catch).
  if (outcomes.size() != batch.size())
    throw StoreError(StoreError::Kind::unavailable, "store: a batch answered for the wrong number of messages");
  for (size_t i = begin; i < end; ++i) group[i]->set_appended(std::move(outcomes[i - begin]));
}

void StoreExecutor::submit(Queue& queue, std::unique_ptr<Job> job) {
  const auto pushed = queue.push(job);
  if (pushed == Queue::Push::queued) return;
  const bool stopping = pushed == Queue::Push::closed;
  core::metrics().store_refused.inc();
  CHAT_LOG_THROTTLED(spdlog::level::warn, "store: {}, refusing a request",
                     stopping ? "stopping" : fmt::format("{} requests queued", queue.capacity()));
  if (stopping) {
    job->fail(StoreError::Kind::unavailable, "storage is shutting down");
  } else {
    job->fail(StoreError::Kind::overloaded, "the store is overloaded");
  }
  job->complete();
}

}  // namespace dchat::store
