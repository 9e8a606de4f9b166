// The password hasher's pool: results on the caller's executor, a bounded queue that refuses at
// once, and a shutdown that neither hangs nor leaves anyone waiting.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

#include "chat/credentials.hpp"
#include "chat/password_hasher.hpp"

namespace {

using namespace dchat::chat;
namespace asio = boost::asio;

// Runs `io` until `done` or 20 s.
void run_until(asio::io_context& io, const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    io.restart();
    io.run_for(std::chrono::milliseconds(10));
  }
}

TEST(PasswordHasher, HashesAndVerifiesOffTheCallersThreadAndAnswersOnIt) {
  PasswordHasher hasher(2, 8);
  asio::io_context io;
  const auto caller = std::this_thread::get_id();
  std::optional<HashResult<std::string>> hashed;
  std::thread::id answered_on;
  hasher.async_hash("correct horse", asio::bind_executor(io, [&](HashResult<std::string> r) {
                      answered_on = std::this_thread::get_id();
                      hashed = std::move(r);
                    }));
  run_until(io, [&] { return hashed.has_value(); });
  ASSERT_TRUE(hashed && *hashed);
  EXPECT_EQ(answered_on, caller) << "the answer comes on the caller's executor";

  std::optional<HashResult<bool>> right, wrong;
  hasher.async_verify(*hashed->value, "correct horse",
                      asio::bind_executor(io, [&](HashResult<bool> r) { right = std::move(r); }));
  hasher.async_verify(*hashed->value, "wrong horse",
                      asio::bind_executor(io, [&](HashResult<bool> r) { wrong = std::move(r); }));
  run_until(io, [&] { return right && wrong; });
  ASSERT_TRUE(right && wrong);
  EXPECT_TRUE(*right->value);
  EXPECT_FALSE(*wrong->value);

  std::optional<HashResult<std::thread::id>> worker;
  hasher.async_run<std::thread::id>([] { return std::this_thread::get_id(); },
                                    asio::bind_executor(io, [&](HashResult<std::thread::id> r) { worker = r; }));
  run_until(io, [&] { return worker.has_value(); });
  ASSERT_TRUE(worker && *worker);
  EXPECT_NE(*worker->value, caller) << "the work runs on the pool";
  EXPECT_EQ(hasher.in_flight(), 0u);
}

TEST(PasswordHasher, AFullQueueRefusesAtOnce) {
  PasswordHasher hasher(1, 2);
  asio::io_context io;
  std::promise<void> release;
  auto gate = release.get_future().share();
  std::atomic<int> started{0};
  std::vector<HashResult<int>> results;
  auto blocking = [&, gate]() {
    ++started;
    gate.wait();
    return 1;
  };
  auto collect = asio::bind_executor(io, [&](HashResult<int> r) { results.push_back(std::move(r)); });
  hasher.async_run<int>(blocking, collect);  // runs
  while (started.load() == 0) std::this_thread::yield();
  hasher.async_run<int>(blocking, collect);  // queued
  hasher.async_run<int>(blocking, collect);  // queued
  const auto t0 = std::chrono::steady_clock::now();
  hasher.async_run<int>(blocking, collect);  // refused
  run_until(io, [&] { return results.size() == 1; });
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].refusal, HashRefusal::overloaded);
  EXPECT_FALSE(results[0]);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1)) << "refused at once, not queued";
  EXPECT_EQ(hasher.in_flight(), 3u);
  release.set_value();
  run_until(io, [&] { return results.size() == 4; });
  ASSERT_EQ(results.size(), 4u);
  for (size_t i = 1; i < 4; ++i) EXPECT_EQ(results[i].value, 1);
}

// The state both shutdown tests start from: the hasher's one worker busy with a job that waits
// for `release`, three more queued behind it; every answer's refusal collected on `io`, in order.
struct OneRunningThreeQueued {
  asio::io_context io;
  std::vector<HashRefusal> refusals;
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  std::atomic<int> started{0};

  auto collect() {
    return asio::bind_executor(io, [this](HashResult<int> r) { refusals.push_back(r.refusal); });
  }

  void start(PasswordHasher& hasher) {
    hasher.async_run<int>(
        [this, gate = gate] {
          ++started;
          gate.wait();
          return 1;
        },
        collect());
    while (started.load() == 0) std::this_thread::yield();
    for (int i = 0; i < 3; ++i) hasher.async_run<int>([] { return 2; }, collect());
  }

  void answered(size_t count) {
    run_until(io, [&] { return refusals.size() == count; });
  }
};

TEST(PasswordHasher, ShutdownJoinsAndCompletesQueuedJobsWithStopping) {
  OneRunningThreeQueued jobs;
  std::thread opener;
  {
    PasswordHasher hasher(1, 8);
    jobs.start(hasher);
    opener = std::thread([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      jobs.release.set_value();  // the running job finishes; the destructor joins it
    });
  }
  opener.join();
  jobs.answered(4);
  ASSERT_EQ(jobs.refusals.size(), 4u);
  EXPECT_EQ(jobs.refusals[0], HashRefusal::none);
  for (size_t i = 1; i < 4; ++i) EXPECT_EQ(jobs.refusals[i], HashRefusal::stopping);
}

TEST(PasswordHasher, ClosingTheQueueAnswersQueuedAndNewJobsWithStoppingWhileTheRunningOneFinishes) {
  OneRunningThreeQueued jobs;
  PasswordHasher hasher(1, 8);
  jobs.start(hasher);
  EXPECT_EQ(hasher.in_flight(), 4u);
  hasher.close_queue();
  jobs.answered(3);
  ASSERT_EQ(jobs.refusals.size(), 3u) << "the queued jobs are answered without waiting for the running one";
  for (auto r : jobs.refusals) EXPECT_EQ(r, HashRefusal::stopping);
  EXPECT_EQ(hasher.in_flight(), 1u) << "only the running one is left";
  hasher.async_run<int>([] { return 3; }, jobs.collect());
  jobs.answered(4);
  ASSERT_EQ(jobs.refusals.size(), 4u);
  EXPECT_EQ(jobs.refusals[3], HashRefusal::stopping) << "new jobs are refused once the queue is closed";
  jobs.release.set_value();
  jobs.answered(5);
  ASSERT_EQ(jobs.refusals.size(), 5u);
  EXPECT_EQ(jobs.refusals[4], HashRefusal::none) << "the running job finishes";
  EXPECT_EQ(hasher.in_flight(), 0u);
}

TEST(PasswordHasher, AJobThatThrowsCompletesAsFailed) {
  PasswordHasher hasher(1, 2);
  asio::io_context io;
  std::optional<HashResult<int>> result;
  hasher.async_run<int>([]() -> int { throw std::bad_alloc(); },
                        asio::bind_executor(io, [&](HashResult<int> r) { result = std::move(r); }));
  run_until(io, [&] { return result.has_value(); });
  ASSERT_TRUE(result);
  EXPECT_EQ(result->refusal, HashRefusal::failed);
}

}  // namespace
