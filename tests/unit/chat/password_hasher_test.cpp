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

// Occupies the hasher's one worker with a job that waits for `gate`, then queues three more
// behind it: the state both shutdown tests start from.
template <class Collect>
void run_one_then_queue_three(PasswordHasher& hasher, std::shared_future<void> gate, std::atomic<int>& started,
                              Collect collect) {
  hasher.async_run<int>(
      [&started, gate] {
        ++started;
        gate.wait();
        return 1;
      },
      collect);
  while (started.load() == 0) std::this_thread::yield();
  for (int i = 0; i < 3; ++i) hasher.async_run<int>([] { return 2; }, collect);
}

TEST(PasswordHasher, ShutdownJoinsAndCompletesQueuedJobsWithStopping) {
  asio::io_context io;
  std::vector<HashRefusal> refusals;
  auto collect = asio::bind_executor(io, [&](HashResult<int> r) { refusals.push_back(r.refusal); });
  std::promise<void> release;
  auto gate = release.get_future().share();
  std::atomic<int> started{0};
  std::thread opener;
  {
    PasswordHasher hasher(1, 8);
    run_one_then_queue_three(hasher, gate, started, collect);
    opener = std::thread([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      release.set_value();  // the running job finishes; the destructor joins it
    });
  }
  opener.join();
  run_until(io, [&] { return refusals.size() == 4; });
  ASSERT_EQ(refusals.size(), 4u);
  EXPECT_EQ(refusals[0], HashRefusal::none);
  for (size_t i = 1; i < 4; ++i) EXPECT_EQ(refusals[i], HashRefusal::stopping);
}

TEST(PasswordHasher, ClosingTheQueueAnswersQueuedAndNewJobsWithStoppingWhileTheRunningOneFinishes) {
  asio::io_context io;
  std::vector<HashRefusal> refusals;
  auto collect = asio::bind_executor(io, [&](HashResult<int> r) { refusals.push_back(r.refusal); });
  std::promise<void> release;
  auto gate = release.get_future().share();
  std::atomic<int> started{0};
  PasswordHasher hasher(1, 8);
  run_one_then_queue_three(hasher, gate, started, collect);
  EXPECT_EQ(hasher.in_flight(), 4u);
  hasher.close_queue();
  run_until(io, [&] { return refusals.size() == 3; });
  ASSERT_EQ(refusals.size(), 3u) << "the queued jobs are answered without waiting for the running one";
  for (auto r : refusals) EXPECT_EQ(r, HashRefusal::stopping);
  EXPECT_EQ(hasher.in_flight(), 1u) << "only the running one is left";
  hasher.async_run<int>([] { return 3; }, collect);
  run_until(io, [&] { return refusals.size() == 4; });
  ASSERT_EQ(refusals.size(), 4u);
  EXPECT_EQ(refusals[3], HashRefusal::stopping) << "new jobs are refused once the queue is closed";
  release.set_value();
  run_until(io, [&] { return refusals.size() == 5; });
  ASSERT_EQ(refusals.size(), 5u);
  EXPECT_EQ(refusals[4], HashRefusal::none) << "the running job finishes";
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
