// BoundedWorkQueue: the capacity refuses at once, close() hands back the waiting jobs while the
// workers stay, stop() lets the running job finish, joins the workers and hands back the rest.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/bounded_work_queue.hpp"

namespace {

using dchat::core::BoundedWorkQueue;
using namespace std::chrono_literals;

struct Job {
  int id = 0;
  std::shared_future<void> gate;  // a job waits for it before it returns (when valid)
};

using Queue = BoundedWorkQueue<Job>;

std::unique_ptr<Job> job(int id, std::shared_future<void> gate = {}) {
  auto j = std::make_unique<Job>();
  j->id = id;
  j->gate = std::move(gate);
  return j;
}

// Waits (at most 5 s) until `done()`.
template <typename Done>
bool eventually(Done done) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

// One worker held on a gate: `started` becomes 1 once it runs the first job.
struct HeldWorker {
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  std::atomic<int> started{0}, finished{0};

  void spawn(Queue& q) {
    q.spawn_worker([this, &q](Job& j) {
      ++started;
      if (j.gate.valid()) j.gate.wait();
      ++finished;
      q.done();
    });
  }
};

TEST(BoundedWorkQueue, RunsJobsOnItsWorkersAndCountsThemUntilDone) {
  Queue q(8);
  std::atomic<int> sum{0};
  std::atomic<bool> setup_ran{false};
  std::thread::id worker_id;
  q.spawn_worker(
      [&](Job& j) {
        worker_id = std::this_thread::get_id();
        sum += j.id;
        q.done();
      },
      [&] { setup_ran = true; });
  for (int i = 1; i <= 4; ++i) {
    auto j = job(i);
    ASSERT_EQ(q.push(j), Queue::Push::queued);
    EXPECT_EQ(j, nullptr);
  }
  ASSERT_TRUE(eventually([&] { return sum == 10; }));
  EXPECT_TRUE(eventually([&] { return q.in_flight() == 0; }));
  EXPECT_TRUE(setup_ran);
  EXPECT_NE(worker_id, std::this_thread::get_id());
  EXPECT_TRUE(q.stop().empty());
}

TEST(BoundedWorkQueue, ABatchWorkerTakesWhatIsWaitingUpToItsLimitAndNeverWaitsForMore) {
  Queue q(64);
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  std::mutex mutex;
  std::vector<std::vector<int>> batches;
  q.spawn_batch_worker(4, 0us, [&](std::vector<std::unique_ptr<Job>>& batch) {
    std::vector<int> ids;
    for (auto& j : batch) ids.push_back(j->id);
    {
      std::lock_guard lock(mutex);
      batches.push_back(ids);
    }
    for (auto& j : batch) {
      if (j->gate.valid()) j->gate.wait();
      q.done();
    }
  });
  // A lone job runs at once, alone; the ten pushed while it runs come in batches of at most 4,
  // in order.
  auto first = job(0, gate);
  ASSERT_EQ(q.push(first), Queue::Push::queued);
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mutex);
    return batches.size() == 1;
  }));
  for (int i = 1; i <= 10; ++i) {
    auto j = job(i);
    ASSERT_EQ(q.push(j), Queue::Push::queued);
  }
  release.set_value();
  ASSERT_TRUE(eventually([&] { return q.in_flight() == 0; }));
  std::lock_guard lock(mutex);
  EXPECT_EQ(batches, (std::vector<std::vector<int>>{{0}, {1, 2, 3, 4}, {5, 6, 7, 8}, {9, 10}}));
  EXPECT_TRUE(q.stop().empty());
}

// Records each batch's ids and when it was taken; a job with a gate holds the worker.
struct BatchLog {
  std::mutex mutex;
  std::vector<std::vector<int>> batches;
  std::vector<std::chrono::steady_clock::time_point> taken;

  void spawn(Queue& q, size_t max, std::chrono::microseconds linger) {
    q.spawn_batch_worker(max, linger, [this, &q](std::vector<std::unique_ptr<Job>>& batch) {
      std::vector<int> ids;
      for (auto& j : batch) ids.push_back(j->id);
      {
        std::lock_guard lock(mutex);
        batches.push_back(ids);
        taken.push_back(std::chrono::steady_clock::now());
      }
      for (auto& j : batch) {
        if (j->gate.valid()) j->gate.wait();
        q.done();
      }
    });
  }
  size_t count() {
    std::lock_guard lock(mutex);
    return batches.size();
  }
};

// Holds the batch worker on job 0 (taken alone), then queues jobs 1 and 2 back to back, so they
// arrive fast and the worker will linger once released; returns the release.
std::promise<void> hold_then_queue_two_fast(Queue& q, BatchLog& log) {
  std::promise<void> release;
  auto held = job(0, release.get_future().share());
  EXPECT_EQ(q.push(held), Queue::Push::queued);
  EXPECT_TRUE(eventually([&] { return log.count() == 1; }));
  auto a = job(1), b = job(2);
  EXPECT_EQ(q.push(a), Queue::Push::queued);
  EXPECT_EQ(q.push(b), Queue::Push::queued);
  return release;
}

// Upper bounds on time in these tests are far from what they check (seconds against a linger
// of 3 s), so a loaded machine under ASan cannot make them fail; lower bounds are exact.
TEST(BoundedWorkQueue, ALingeringBatchWorkerRunsALoneJobAtOnceAndAFullBatchEndsTheWait) {
  constexpr auto linger = 3s;
  BatchLog log;  // outlives the queue's worker
  Queue q(64);
  log.spawn(q, 4, linger);
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();

  // After a quiet while a lone job does not wait for company.
  const auto start = std::chrono::steady_clock::now();
  auto first = job(0, gate);
  ASSERT_EQ(q.push(first), Queue::Push::queued);
  ASSERT_TRUE(eventually([&] { return log.count() == 1; }));
  EXPECT_LT(log.taken[0] - start, linger / 2);

  // Jobs 1 and 2 arrive back to back while the worker is busy: once free it lingers, and a full
  // batch (3 and 4 pushed later) ends the wait before the linger is over.
  auto one = job(1), two = job(2);
  ASSERT_EQ(q.push(one), Queue::Push::queued);
  ASSERT_EQ(q.push(two), Queue::Push::queued);
  const auto first_waiting = std::chrono::steady_clock::now();
  release.set_value();
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(log.count(), 1u) << "the worker should be lingering for more";
  auto three = job(3), four = job(4);
  ASSERT_EQ(q.push(three), Queue::Push::queued);
  ASSERT_EQ(q.push(four), Queue::Push::queued);
  ASSERT_TRUE(eventually([&] { return log.count() == 2; }));
  EXPECT_LT(log.taken[1] - first_waiting, linger / 2);
  EXPECT_TRUE(eventually([&] { return q.in_flight() == 0; }));
  {
    std::lock_guard lock(log.mutex);
    EXPECT_EQ(log.batches, (std::vector<std::vector<int>>{{0}, {1, 2, 3, 4}}));
  }
  EXPECT_TRUE(q.stop().empty());
}

TEST(BoundedWorkQueue, AJobArrivingFastWaitsTheLingerOutAndNoLongerWhenNothingElseComes) {
  constexpr auto linger = 300ms;
  BatchLog log;
  Queue q(64);
  log.spawn(q, 100, linger);
  // A then B at once: B arrives fast. Whether A ran alone first or waits with B, B is taken no
  // sooner than a linger after the first of them arrived.
  const auto pushed = std::chrono::steady_clock::now();
  auto a = job(1), b = job(2);
  ASSERT_EQ(q.push(a), Queue::Push::queued);
  ASSERT_EQ(q.push(b), Queue::Push::queued);
  ASSERT_TRUE(eventually([&] { return q.in_flight() == 0; }));
  std::lock_guard lock(log.mutex);
  ASSERT_FALSE(log.batches.empty());
  EXPECT_EQ(log.batches.back().back(), 2);
  EXPECT_GE(log.taken.back() - pushed, linger - 20ms);
}

TEST(BoundedWorkQueue, CloseDuringALingerHandsTheJobsBackAndTheWorkerRunsNoEmptyBatch) {
  BatchLog log;
  Queue q(64);
  log.spawn(q, 100, 2s);
  std::promise<void> release = hold_then_queue_two_fast(q, log);
  ASSERT_FALSE(HasFailure());
  release.set_value();
  std::this_thread::sleep_for(50ms);
  auto left = q.close();  // takes 1 and 2 back from under the lingering worker
  EXPECT_EQ(left.size(), 2u);
  for (size_t i = 0; i < left.size(); ++i) q.done();
  EXPECT_TRUE(eventually([&] { return q.in_flight() == 0; }));
  std::this_thread::sleep_for(2500ms);  // past the linger: the worker must not run an empty batch
  {
    std::lock_guard lock(log.mutex);
    EXPECT_EQ(log.batches, (std::vector<std::vector<int>>{{0}}));
  }
  EXPECT_TRUE(q.stop().empty());
}

TEST(BoundedWorkQueue, ABatchWorkerIsItsQueuesOnlyWorker) {
  Queue with_batch(8);
  with_batch.spawn_batch_worker(4, 0us, [&](std::vector<std::unique_ptr<Job>>& batch) {
    for (size_t i = 0; i < batch.size(); ++i) with_batch.done();
  });
  EXPECT_THROW(with_batch.spawn_worker([](Job&) {}), std::logic_error);
  EXPECT_THROW(with_batch.spawn_batch_worker(4, 0us, [](std::vector<std::unique_ptr<Job>>&) {}), std::logic_error);
  Queue with_pool(8);
  with_pool.spawn_worker([&](Job&) { with_pool.done(); });
  EXPECT_THROW(with_pool.spawn_batch_worker(4, 0us, [](std::vector<std::unique_ptr<Job>>&) {}), std::logic_error);
}

TEST(BoundedWorkQueue, ABatchLargerThanTheQueueIsCappedSoAFullQueueEndsTheLinger) {
  BatchLog log;
  Queue q(2);
  log.spawn(q, 256, 3s);  // 256 could never be waiting in a queue of 2
  std::promise<void> release = hold_then_queue_two_fast(q, log);  // the queue is full
  ASSERT_FALSE(HasFailure());
  const auto full = std::chrono::steady_clock::now();
  release.set_value();
  ASSERT_TRUE(eventually([&] { return log.count() == 2; }));
  EXPECT_LT(log.taken[1] - full, 1500ms) << "a full queue is a full batch: no linger";
  EXPECT_TRUE(eventually([&] { return q.in_flight() == 0; }));
  q.stop();
}

TEST(BoundedWorkQueue, StopDoesNotWaitForALingeringBatchWorker) {
  BatchLog log;
  Queue q(64);
  log.spawn(q, 100, 10s);
  auto a = job(1), b = job(2);
  ASSERT_EQ(q.push(a), Queue::Push::queued);
  ASSERT_EQ(q.push(b), Queue::Push::queued);  // arrives fast: the worker lingers (10 s)
  std::this_thread::sleep_for(20ms);
  const auto before = std::chrono::steady_clock::now();
  auto left = q.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - before, 5s);
  // Job 1 may have run alone (taken before job 2 arrived); job 2 waited in the linger and is
  // handed back, not run.
  std::lock_guard lock(log.mutex);
  size_t ran = 0;
  for (auto& batch : log.batches) ran += batch.size();
  EXPECT_LE(ran, 1u);
  EXPECT_EQ(ran + left.size(), 2u);
}

TEST(BoundedWorkQueue, RefusesPastItsCapacityAndLeavesTheJobWithTheCaller) {
  HeldWorker w;  // outlives the queue's workers
  Queue q(2);
  w.spawn(q);
  auto running = job(0, w.gate);
  ASSERT_EQ(q.push(running), Queue::Push::queued);
  ASSERT_TRUE(eventually([&] { return w.started == 1; }));
  auto a = job(1), b = job(2), c = job(3);
  EXPECT_EQ(q.push(a), Queue::Push::queued);
  EXPECT_EQ(q.push(b), Queue::Push::queued);
  EXPECT_EQ(q.size(), 2u);
  EXPECT_EQ(q.push(c), Queue::Push::full);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->id, 3);
  EXPECT_EQ(q.in_flight(), 3u);  // the running one and the two waiting
  w.release.set_value();
  EXPECT_TRUE(eventually([&] { return q.in_flight() == 0; }));
  EXPECT_EQ(q.push(c), Queue::Push::queued);  // room again
  EXPECT_TRUE(eventually([&] { return q.in_flight() == 0; }));
}

TEST(BoundedWorkQueue, CloseHandsBackTheWaitingJobsAndRefusesNewOnesWhileTheWorkersStay) {
  HeldWorker w;
  Queue q(8);
  w.spawn(q);
  auto running = job(0, w.gate);
  ASSERT_EQ(q.push(running), Queue::Push::queued);
  ASSERT_TRUE(eventually([&] { return w.started == 1; }));
  for (int i = 1; i <= 3; ++i) {
    auto j = job(i);
    ASSERT_EQ(q.push(j), Queue::Push::queued);
  }

  Queue::Jobs left = q.close();  // at once, although a job is still running
  ASSERT_EQ(left.size(), 3u);
  EXPECT_EQ(left.front()->id, 1);
  EXPECT_EQ(left.back()->id, 3);
  EXPECT_EQ(q.size(), 0u);
  auto late = job(9);
  EXPECT_EQ(q.push(late), Queue::Push::closed);
  EXPECT_NE(late, nullptr);
  // Handed back jobs still count until their owner answers them.
  EXPECT_EQ(q.in_flight(), 4u);
  for (size_t i = 0; i < left.size(); ++i) q.done();

  EXPECT_EQ(w.finished, 0);
  w.release.set_value();  // the running job finishes on its worker
  EXPECT_TRUE(eventually([&] { return w.finished == 1; }));
  EXPECT_EQ(q.in_flight(), 0u);
  EXPECT_TRUE(q.stop().empty());
}

TEST(BoundedWorkQueue, StopFinishesTheRunningJobJoinsTheWorkersAndHandsBackTheRest) {
  HeldWorker w;
  auto q = std::make_unique<Queue>(8);
  w.spawn(*q);
  auto running = job(0, w.gate);
  ASSERT_EQ(q->push(running), Queue::Push::queued);
  ASSERT_TRUE(eventually([&] { return w.started == 1; }));
  auto waiting = job(1);
  ASSERT_EQ(q->push(waiting), Queue::Push::queued);

  auto stopped = std::async(std::launch::async, [&] { return q->stop(); });
  // stop() waits for the running job: it has not returned while that job is held.
  EXPECT_EQ(stopped.wait_for(50ms), std::future_status::timeout);
  w.release.set_value();
  ASSERT_EQ(stopped.wait_for(5s), std::future_status::ready);
  Queue::Jobs left = stopped.get();
  // Joined: the running job finished, the waiting one was never started.
  EXPECT_EQ(w.finished, 1);
  EXPECT_EQ(w.started, 1);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left.front()->id, 1);

  auto late = job(2);
  EXPECT_EQ(q->push(late), Queue::Push::closed);
  EXPECT_TRUE(q->stop().empty());  // idempotent
  q.reset();                       // and the destructor too
}

TEST(BoundedWorkQueue, DestructionJoinsSeveralWorkers) {
  std::atomic<int> ran{0};
  {
    Queue q(64);
    for (int i = 0; i < 3; ++i)
      q.spawn_worker([&](Job&) {
        std::this_thread::sleep_for(1ms);
        ++ran;
        q.done();
      });
    for (int i = 0; i < 30; ++i) {
      auto j = job(i);
      ASSERT_EQ(q.push(j), Queue::Push::queued);
    }
    ASSERT_TRUE(eventually([&] { return ran == 30; }));
  }
  EXPECT_EQ(ran, 30);
}

}  // namespace
