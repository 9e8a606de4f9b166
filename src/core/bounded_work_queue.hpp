#pragma once
// A bounded queue of jobs with the worker threads that take them: the part StoreExecutor and
// PasswordHasher share. A job is refused at once (push() says why, the job stays with the caller)
// when `capacity` jobs are already waiting or the queue is closed; memory and waiting time stay
// bounded whatever the callers do.
//
// Lifecycle: open -> close() (optional: refuses new jobs and hands back the waiting ones, the
// workers stay) -> stop() (refuses new jobs, lets each worker finish the job it is running,
// joins them all and hands back the jobs never started). What to answer for a job handed back
// or refused is the owner's business: the queue never runs a job itself.
//
// in_flight() counts jobs from an accepted push() until the owner calls done() for them, so the
// owner decides whether "done" is before or after the answer is on its way.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

namespace dchat::core {

template <typename Job>
class BoundedWorkQueue {
 public:
  using Jobs = std::deque<std::unique_ptr<Job>>;
  enum class Push { queued, full, closed };

  explicit BoundedWorkQueue(size_t capacity) : capacity_(capacity) {}
  ~BoundedWorkQueue() { stop(); }
  BoundedWorkQueue(const BoundedWorkQueue&) = delete;
  BoundedWorkQueue& operator=(const BoundedWorkQueue&) = delete;

  // Starts a worker thread: `setup()` once, then `run(job)` for each job it takes, until stop().
  // Call before the queue is shared (not thread-safe against stop()).
  template <typename Run, typename Setup = void (*)()>
  void spawn_worker(Run run, Setup setup = [] {}) {
    // push() wakes a batch worker only for a first job or a full batch: a worker taking single
    // jobs from the same queue would miss wake-ups.
    if (batch_max_ > 0) throw std::logic_error("BoundedWorkQueue: a queue with a batch worker has no other workers");
    workers_.emplace_back([this, run = std::move(run), setup = std::move(setup)]() mutable {
      setup();
      while (std::unique_ptr<Job> job = take()) run(*job);
    });
  }

  // Starts a worker thread that takes every job waiting when it looks, up to `max_batch`, and
  // hands them to `run(batch)` together. For work that is cheaper done together, such as a group
  // commit. With `linger` zero it never waits for more to arrive. With a linger, and only while
  // jobs arrive faster than one per linger (the last two pushes closer than that), it waits for
  // more until `linger` after the first job of the batch arrived or `max_batch` are waiting: at a
  // steady rate, fewer and larger batches for at most `linger` more latency, while a lone job
  // after a quiet while still runs at once.
  template <typename RunBatch, typename Setup = void (*)()>
  void spawn_batch_worker(size_t max_batch, std::chrono::microseconds linger, RunBatch run, Setup setup = [] {}) {
    if (!workers_.empty()) throw std::logic_error("BoundedWorkQueue: a batch worker is its queue's only worker");
    {
      std::lock_guard lock(mutex_);
      // A batch can never be larger than what the queue holds: a lingering worker waiting for
      // more would otherwise idle out its linger while pushes are refused.
      max_batch = std::clamp<size_t>(max_batch, 1, capacity_);
      batch_max_ = max_batch;
      linger_ = linger;
    }
    workers_.emplace_back([this, max_batch, run = std::move(run), setup = std::move(setup)]() mutable {
      setup();
      std::vector<std::unique_ptr<Job>> batch;
      while (take_batch(batch, max_batch)) {
        run(batch);
        batch.clear();
      }
    });
  }

  // Queues `job` (then moved from) unless the queue is full or closed (then left with the caller).
  Push push(std::unique_ptr<Job>& job) {
    bool wake = true;
    {
      std::lock_guard lock(mutex_);
      if (closed_) return Push::closed;
      if (jobs_.size() >= capacity_) return Push::full;
      in_flight_.fetch_add(1);
      if (linger_.count() > 0) {
        const auto now = std::chrono::steady_clock::now();
        arriving_fast_ = now - last_push_ < linger_;
        last_push_ = now;
        if (jobs_.empty()) first_waiting_since_ = now;
      }
      // A batch worker waits either for a first job or, lingering, for a full batch: waking it
      // for anything else costs a context switch for nothing.
      if (batch_max_ > 0) wake = jobs_.empty() || jobs_.size() + 1 >= batch_max_;
      jobs_.push_back(std::move(job));
    }
    if (wake) ready_.notify_one();
    return Push::queued;
  }

  // One job taken by a worker or handed back has been answered: it no longer counts in_flight().
  void done() noexcept { in_flight_.fetch_sub(1); }

  // Refuses new jobs from now on and hands back the waiting ones; the workers keep running.
  Jobs close() {
    Jobs left;
    std::lock_guard lock(mutex_);
    closed_ = true;
    left.swap(jobs_);
    return left;
  }

  // Refuses new jobs, joins the workers once each has finished its current job (waiting jobs are
  // not started) and hands back the jobs never started. Idempotent.
  Jobs stop() {
    {
      std::lock_guard lock(mutex_);
      closed_ = stopping_ = true;
    }
    ready_.notify_all();
    for (auto& worker : workers_)
      if (worker.joinable()) worker.join();
    Jobs left;
    std::lock_guard lock(mutex_);
    left.swap(jobs_);
    return left;
  }

  size_t capacity() const noexcept { return capacity_; }
  // Jobs waiting for a worker.
  size_t size() const {
    std::lock_guard lock(mutex_);
    return jobs_.size();
  }
  // Jobs accepted and not yet done().
  size_t in_flight() const noexcept { return in_flight_.load(); }

 private:
  // The next job, or null once stopping.
  std::unique_ptr<Job> take() {
    std::unique_lock lock(mutex_);
    ready_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
    if (stopping_) return nullptr;
    std::unique_ptr<Job> job = std::move(jobs_.front());
    jobs_.pop_front();
    return job;
  }

  // Fills `batch` with 1..max jobs (waiting for the first, then lingering when jobs arrive
  // fast); false once stopping.
  bool take_batch(std::vector<std::unique_ptr<Job>>& batch, size_t max) {
    std::unique_lock lock(mutex_);
    // Again when close() took the waiting jobs back during the linger: never an empty batch.
    do {
      ready_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (linger_.count() > 0 && arriving_fast_ && jobs_.size() < max)
        ready_.wait_until(lock, first_waiting_since_ + linger_, [&] { return stopping_ || jobs_.size() >= max; });
      if (stopping_) return false;
    } while (jobs_.empty());
    while (!jobs_.empty() && batch.size() < max) {
      batch.push_back(std::move(jobs_.front()));
      jobs_.pop_front();
    }
    // Jobs left over (more than `max` were waiting) have waited a batch already: no linger for
    // them, first_waiting_since_ stays in the past.
    return true;
  }

  const size_t capacity_;
  std::atomic<size_t> in_flight_{0};
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  Jobs jobs_;
  bool closed_ = false;    // refuse new jobs
  bool stopping_ = false;  // and the workers leave
  // Batch worker only (spawn_batch_worker): its batch size and linger, and what the linger needs.
  size_t batch_max_ = 0;
  std::chrono::microseconds linger_{0};
  std::chrono::steady_clock::time_point last_push_{}, first_waiting_since_{};
  bool arriving_fast_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace dchat::core
