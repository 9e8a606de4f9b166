// What only PgStore has about changes to messages: writers on several connections (replicas)
// that change messages of several rooms in one group each, in opposite orders, neither deadlock
// (the group locks its rooms first, in id order: Store::lock_rooms) nor give a change number
// twice or skip one.
#include <gtest/gtest.h>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <future>
#include <barrier>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "pg_test_database.hpp"
#include "store/pg_store.hpp"
#include "store/store_executor.hpp"
#include "store_test_helpers.hpp"

namespace dchat::store {
namespace {

using contract::PgAdmin;
using contract::range;
using contract::TestDatabase;
constexpr int64_t kNow = 1'700'000'000'000;

TEST(PostgresChanges, GroupsChangingRoomsInOppositeOrdersNeitherDeadlockNorSkipANumber) {
  constexpr int kThreads = 4, kRounds = 15;
  TestDatabase database;
  PgStore setup(database.url());
  setup.migrate();
  const User alice = setup.create_user("alice", "h", kNow).value();
  std::vector<Room> rooms;
  for (const char* name : {"one", "two"}) {
    rooms.push_back(setup.ensure_public_room(name, 0, kNow));
    setup.add_member(rooms.back().id, alice.id, kNow);
    setup.append_messages({AppendRequest{rooms.back().id, alice.id, "hi", "", kNow}});
  }
  const std::vector<int64_t> ids{rooms[0].id, rooms[1].id};

  std::mutex mutex;
  std::map<int64_t, std::vector<int64_t>> given;  // room -> change numbers handed out
  std::barrier round(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      try {
        PgStore own(database.url());
        for (int r = 0; r < kRounds; ++r) {
          round.arrive_and_wait();
          // Half the writers change room one first, half room two: without the locks taken up
          // front each would hold the room the other waits for.
          const bool forward = t % 2 == 0;
          own.begin_group();
          own.lock_rooms(ids);
          std::vector<std::pair<int64_t, int64_t>> mine;
          for (int i = 0; i < 2; ++i) {
            const int64_t room = ids[forward ? i : 1 - i];
            own.begin_group_job();
            const int64_t change = i == 0 ? own.edit_message(room, 1, "edit", kNow)
                                          : own.set_reaction(room, 1, alice.id, "👍", r % 2 == 0, kNow);
            own.end_group_job(true);
            if (change > 0) mine.emplace_back(room, change);
          }
          own.commit_group();
          std::lock_guard lock(mutex);
          for (const auto& [room, change] : mine) given[room].push_back(change);
        }
      } catch (const std::exception& e) {
        ADD_FAILURE() << "thread " << t << ": " << e.what();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int64_t room : ids) {
    auto& changes = given[room];
    std::sort(changes.begin(), changes.end());
    EXPECT_EQ(changes, range(1, static_cast<int64_t>(changes.size()))) << "room " << room;
    EXPECT_EQ(setup.find_room(room)->last_change, static_cast<int64_t>(changes.size()));
    EXPECT_EQ(setup.find_message(room, 1)->change, static_cast<int64_t>(changes.size()));
  }
}

TEST(PostgresChanges, TwoReplicasWritersChangingAndSendingInOppositeOrdersAllComplete) {
  // Two StoreExecutors on one database are two replicas' writers. Each gets edits, reactions and
  // sends for both rooms, one replica room one first, the other room two first, all at once: the
  // groups lock their rooms up front (run_group -> lock_rooms), so none waits in a cycle, every
  // job completes, and each room's change numbers are 1..N.
  constexpr int kEach = 40;
  TestDatabase database;
  auto open = [&] { return std::unique_ptr<Store>(std::make_unique<PgStore>(database.url())); };
  std::vector<std::unique_ptr<StoreExecutor>> replicas;
  for (int i = 0; i < 2; ++i) replicas.push_back(std::make_unique<StoreExecutor>(open, 1));
  PgStore setup(database.url());
  const User alice = setup.create_user("alice", "h", kNow).value();
  std::vector<int64_t> ids;
  for (const char* name : {"one", "two"}) {
    const Room room = setup.ensure_public_room(name, 0, kNow);
    setup.add_member(room.id, alice.id, kNow);
    setup.append_messages({AppendRequest{room.id, alice.id, "hi", "", kNow}});
    ids.push_back(room.id);
  }
  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  std::thread loop([&] { io.run(); });
  std::vector<std::future<bool>> answers;
  auto submit = [&](StoreExecutor& writer, int64_t room, int i) {
    auto done = std::make_shared<std::promise<bool>>();
    answers.push_back(done->get_future());
    if (i % 3 == 2) {
      writer.async_append(AppendRequest{room, alice.id, "m", "", kNow},
                          boost::asio::bind_executor(io, [done](StoreResult<AppendOutcome> r) { done->set_value(bool(r)); }));
      return;
    }
    writer.async_room_write<int64_t>(
        room, [&, room, i](Store& s) { return i % 3 == 0 ? s.edit_message(room, 1, "e", kNow) : s.set_reaction(room, 1, alice.id, "👍", i % 2 == 0, kNow); },
        boost::asio::bind_executor(io, [done](StoreResult<int64_t> r) { done->set_value(bool(r)); }));
  };
  for (int i = 0; i < kEach; ++i) {
    submit(*replicas[0], ids[0], i);
    submit(*replicas[0], ids[1], i);
    submit(*replicas[1], ids[1], i);
    submit(*replicas[1], ids[0], i);
  }
  int failed = 0;
  for (auto& answer : answers) failed += answer.get() ? 0 : 1;
  EXPECT_EQ(failed, 0);
  replicas.clear();
  work.reset();
  loop.join();
  for (int64_t room : ids) {
    const Message m = setup.find_message(room, 1).value();
    EXPECT_EQ(m.change, setup.find_room(room)->last_change);
    EXPECT_GE(m.change, 2 * (kEach / 3));
  }
  PgAdmin direct(database.url());
  EXPECT_EQ(direct.scalar("SELECT count(*) FROM messages"), std::to_string(2 + 4 * (kEach / 3 + (kEach % 3 > 2 ? 1 : 0))));
}

}  // namespace
}  // namespace dchat::store
