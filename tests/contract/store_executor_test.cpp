// StoreExecutor's writer on a SQLite file: writes waiting together share one group commit, each
// answer comes after its group committed, a job that fails takes back only its own writes, and a
// group that cannot commit fails every job in it. (The group's transaction rules themselves are
// in the Store contract, store_contract_groups_test.cpp, for every backend.)
#include <gtest/gtest.h>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "core/metrics.hpp"
#include "store/sqlite_store.hpp"
#include "store/store_executor.hpp"
#include "store_test_helpers.hpp"
#include "temp_directory.hpp"

namespace dchat::store::contract {
namespace {

using namespace std::chrono_literals;
constexpr int64_t kNow = 1'700'000'000'000;

class StoreExecutorWriter : public ::testing::Test {
 protected:
  void SetUp() override {
    executor_ = std::make_unique<StoreExecutor>([this] { return open(); }, 1);
    // The executor migrated the schema with its first connection.
    auto store = open();
    user_ = store->create_user("Alice", "h", kNow).value().id;
    room_ = store->ensure_public_room("general", 0, kNow).id;
    loop_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    executor_.reset();
    work_.reset();
    loop_.join();
  }

  std::unique_ptr<Store> open() { return std::make_unique<SqliteStore>((dir_.path() / "chat.db").string()); }

  // Submits a write whose answer lands in the returned future (on the test's event loop).
  std::future<StoreResult<int64_t>> write(std::function<int64_t(Store&)> job) {
    auto promise = std::make_shared<std::promise<StoreResult<int64_t>>>();
    auto answer = promise->get_future();
    executor_->async_write<int64_t>(std::move(job), boost::asio::bind_executor(io_, [promise](StoreResult<int64_t> r) {
                                      promise->set_value(std::move(r));
                                    }));
    return answer;
  }

  std::function<int64_t(Store&)> append(const std::string& text) {
    return [this, text](Store& s) { return s.append_message(room_, user_, text, "c-" + text, kNow).message.seq; };
  }

  // Holds the writer in a job until the returned promise is set, so that what is submitted
  // meanwhile waits in the queue and goes into the next group together.
  std::promise<void> hold_writer() {
    std::promise<void> release;
    auto gate = release.get_future().share();
    std::promise<void> holding;
    auto held = holding.get_future();
    pending_.push_back(write([gate, holding = std::make_shared<std::promise<void>>(std::move(holding))](Store&) {
      holding->set_value();
      gate.wait();
      return int64_t{0};
    }));
    held.wait();
    return release;
  }

  std::vector<std::string> stored_texts() {
    std::vector<std::string> texts;
    for (const Message& m : open()->messages_after(room_, 0, 1000)) texts.push_back(m.text);
    return texts;
  }

  TempDirectory dir_{"chatd-executor"};
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ = boost::asio::make_work_guard(io_);
  std::thread loop_;
  std::unique_ptr<StoreExecutor> executor_;
  std::vector<std::future<StoreResult<int64_t>>> pending_;
  int64_t user_ = 0;
  int64_t room_ = 0;
};

TEST_F(StoreExecutorWriter, WritesWaitingTogetherShareGroupsAndAreAllStoredInOrder) {
  const uint64_t groups_before = core::metrics().store_groups.value();
  std::promise<void> release = hold_writer();
  std::vector<std::future<StoreResult<int64_t>>> answers;
  for (int i = 0; i < 300; ++i) answers.push_back(write(append(std::to_string(i))));
  release.set_value();

  for (int i = 0; i < 300; ++i) {
    StoreResult<int64_t> r = answers[i].get();
    ASSERT_TRUE(r) << r.message;
    EXPECT_EQ(*r.value, i + 1);  // seq in the order the writes were handed in
  }
  // The held job alone, then 300 in groups of at most kMaxGroup (256): 3 groups, not 301.
  EXPECT_EQ(core::metrics().store_groups.value() - groups_before, 3u);
  EXPECT_EQ(stored_texts().size(), 300u);
}

TEST_F(StoreExecutorWriter, WhileWritesArriveFastTheWriterWaitsUpToTheGroupWaitForMore) {
  // --store-group-wait: a write that comes a little after the others still joins their group
  // (one commit, one broadcast burst) instead of starting a group of its own.
  executor_ = std::make_unique<StoreExecutor>([this] { return open(); }, 1, StoreExecutor::kDefaultMaxQueue,
                                              StoreExecutor::kMaxGroup, std::chrono::seconds(2));
  std::promise<void> release = hold_writer();
  const uint64_t groups_before = core::metrics().store_groups.value();
  auto first = write(append("one"));
  auto second = write(append("two"));  // arrives fast: the writer will wait for more
  release.set_value();
  std::this_thread::sleep_for(100ms);
  auto late = write(append("three"));
  for (auto* answer : {&first, &second, &late}) {
    StoreResult<int64_t> r = answer->get();
    ASSERT_TRUE(r) << r.message;
  }
  // The held job's group, then one group of three (without the wait: one of two, one of one).
  EXPECT_EQ(core::metrics().store_groups.value() - groups_before, 2u);
  EXPECT_EQ(stored_texts(), (std::vector<std::string>{"one", "two", "three"}));
}

TEST_F(StoreExecutorWriter, MessageSendsWaitingTogetherGoToTheStoreAsBatchesAroundOtherWrites) {
  open()->add_member(room_, user_, kNow);
  auto send = [this](const std::string& text, int64_t room) {
    auto promise = std::make_shared<std::promise<StoreResult<AppendOutcome>>>();
    auto answer = promise->get_future();
    executor_->async_append(AppendRequest{room, user_, text, "c-" + text, kNow},
                            boost::asio::bind_executor(io_, [promise](StoreResult<AppendOutcome> r) {
                              promise->set_value(std::move(r));
                            }));
    return answer;
  };
  const uint64_t groups_before = core::metrics().store_groups.value();
  std::promise<void> release = hold_writer();
  auto one = send("one", room_);
  auto two = send("two", room_);
  auto elsewhere = send("elsewhere", room_ + 100);
  auto failing = write([](Store&) -> int64_t { throw std::runtime_error("a job between two batches failed"); });
  auto three = send("three", room_);
  auto resent = send("one", room_);
  release.set_value();

  std::vector<StoreResult<AppendOutcome>> answers;
  for (auto* answer : {&one, &two, &elsewhere, &three, &resent}) answers.push_back(answer->get());
  for (const auto& r : answers) ASSERT_TRUE(r) << r.message;
  EXPECT_EQ(answers[0].value->message.seq, 1);
  EXPECT_EQ(answers[1].value->message.seq, 2);
  EXPECT_EQ(answers[2].value->status, AppendOutcome::Status::no_room);
  EXPECT_FALSE(failing.get());
  EXPECT_EQ(answers[3].value->message.seq, 3);
  EXPECT_EQ(answers[4].value->status, AppendOutcome::Status::duplicate);
  EXPECT_EQ(answers[4].value->message.id, answers[0].value->message.id);
  // The held job's group, then one group for everything that waited.
  EXPECT_EQ(core::metrics().store_groups.value() - groups_before, 2u);
  EXPECT_EQ(stored_texts(), (std::vector<std::string>{"one", "two", "three"}));
}

TEST_F(StoreExecutorWriter, GroupsNeverExceedTheLimitTheExecutorWasGiven) {
  executor_ = std::make_unique<StoreExecutor>([this] { return open(); }, 1, StoreExecutor::kDefaultMaxQueue, 8);
  const uint64_t groups_before = core::metrics().store_groups.value();
  std::promise<void> release = hold_writer();
  std::vector<std::future<StoreResult<int64_t>>> answers;
  for (int i = 0; i < 20; ++i) answers.push_back(write(append(std::to_string(i))));
  release.set_value();
  for (auto& answer : answers) ASSERT_TRUE(answer.get());
  EXPECT_EQ(core::metrics().store_groups.value() - groups_before, 4u);  // the held job, then 8 + 8 + 4
}

TEST_F(StoreExecutorWriter, AFullWriterQueueAnswersOverloadedAtOnceAndStoresNothingOfIt) {
  // A flood of message:send cannot queue without bound behind a slow writer: past max_queue
  // waiting writes the next is refused at once, and what was queued is still stored.
  executor_ = std::make_unique<StoreExecutor>([this] { return open(); }, 1, 2);
  std::promise<void> release = hold_writer();
  auto first = write(append("queued 1"));
  auto second = write(append("queued 2"));
  StoreResult<int64_t> refused = write(append("refused")).get();  // answered while the writer is held
  EXPECT_FALSE(refused);
  EXPECT_EQ(refused.error, StoreError::Kind::overloaded);
  release.set_value();
  EXPECT_TRUE(first.get());
  EXPECT_TRUE(second.get());
  EXPECT_EQ(stored_texts(), (std::vector<std::string>{"queued 1", "queued 2"}));
}

TEST_F(StoreExecutorWriter, AnAnswerComesOnlyOnceItsGroupIsCommitted) {
  std::promise<void> release = hold_writer();
  auto promise = std::make_shared<std::promise<std::vector<std::string>>>();
  auto seen = promise->get_future();
  executor_->async_write<int64_t>(append("durable"), boost::asio::bind_executor(io_, [this, promise](StoreResult<int64_t> r) {
                                    // Read through another connection, from the answer's handler.
                                    promise->set_value(r ? stored_texts() : std::vector<std::string>{"failed"});
                                  }));
  release.set_value();
  EXPECT_EQ(seen.get(), std::vector<std::string>{"durable"});
}

TEST_F(StoreExecutorWriter, AJobThatFailsAfterWritingTakesBackOnlyItsOwnWrites) {
  std::promise<void> release = hold_writer();
  auto before = write(append("before"));
  auto failing = write([this](Store& s) -> int64_t {
    s.append_message(room_, user_, "from a failing job", "c-failing", kNow);
    throw std::runtime_error("failed after writing");
  });
  auto after = write(append("after"));
  release.set_value();

  EXPECT_EQ(*before.get().value, 1);
  StoreResult<int64_t> failed = failing.get();
  EXPECT_FALSE(failed);
  EXPECT_EQ(failed.message, "failed after writing");
  EXPECT_EQ(*after.get().value, 2);  // no gap where the failed job's message was
  EXPECT_EQ(stored_texts(), (std::vector<std::string>{"before", "after"}));
}

TEST_F(StoreExecutorWriter, AGroupThatCannotCommitFailsEveryJobInItAndStoresNothing) {
  const uint64_t failures_before = core::metrics().store_group_failures.value();
  std::promise<void> release = hold_writer();
  auto first = write(append("first"));
  // Ends the group's transaction behind the writer's back, as SQLite does after SQLITE_FULL.
  auto breaking = write([](Store& s) {
    s.rollback_group();
    return int64_t{0};
  });
  auto last = write(append("last"));
  release.set_value();

  for (auto* answer : {&first, &breaking, &last}) {
    StoreResult<int64_t> r = answer->get();
    EXPECT_FALSE(r);
    EXPECT_EQ(r.error, StoreError::Kind::unavailable);
  }
  EXPECT_EQ(core::metrics().store_group_failures.value() - failures_before, 1u);
  EXPECT_TRUE(stored_texts().empty());
  // The writer goes on with the next group.
  EXPECT_EQ(*write(append("next")).get().value, 1);
}

}  // namespace
}  // namespace dchat::store::contract
