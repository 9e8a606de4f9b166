// Presence across replicas, with two ClusterPresence objects ("replicas") talking through an
// in-process hub: the online list is the union of both, a user on both is one entry, a lost
// message is repaired from a snapshot, and a replica that goes silent takes its users with it.
#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <set>
#include <thread>

#include "chat/cluster_presence.hpp"
#include "fake_hub_broker.hpp"

namespace dchat::chat {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

template <typename Predicate>
bool eventually(Predicate p, std::chrono::milliseconds limit = 3000ms) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (p()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return p();
}

json::object user(int64_t id) { return json::object{{"id", id}, {"name", "user" + std::to_string(id)}}; }

std::set<int64_t> ids(const json::array& online) {
  std::set<int64_t> out;
  for (const auto& u : online) out.insert(u.as_object().at("id").as_int64());
  return out;
}

struct Replica {
  Replica(test::Hub& hub, boost::asio::io_context& io)
      : broker(hub), bus(broker, io, socketio::ClusterBus::Options{20ms, 4, ""}), presence(bus, io, 20ms) {
    presence.on_remote_change([this](int64_t room) {
      std::lock_guard lock(mutex);
      changed.insert(room);
    });
    bus.start();
    presence.start();
  }
  ~Replica() { bus.stop(); }
  bool saw_change(int64_t room) {
    std::lock_guard lock(mutex);
    return changed.count(room) > 0;
  }
  test::FakeHubBroker broker;
  socketio::ClusterBus bus;
  ClusterPresence presence;
  std::mutex mutex;
  std::set<int64_t> changed;
};

class ClusterPresenceTest : public ::testing::Test {
 protected:
  ClusterPresenceTest() : work_(io_.get_executor()), thread_([this] { io_.run(); }) {}
  ~ClusterPresenceTest() override {
    a_.reset();
    b_.reset();
    work_.reset();
    io_.stop();
    thread_.join();
  }
  void SetUp() override {
    a_ = std::make_unique<Replica>(hub_, io_);
    b_ = std::make_unique<Replica>(hub_, io_);
    ASSERT_TRUE(eventually([&] { return a_->bus.node_count() == 2 && b_->bus.node_count() == 2; }));
  }

  test::Hub hub_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
  std::unique_ptr<Replica> a_, b_;
};

TEST_F(ClusterPresenceTest, AJoinOnOneReplicaShowsOnTheOther) {
  EXPECT_TRUE(a_->presence.join(1, 7, user(7)));
  ASSERT_TRUE(eventually([&] { return ids(b_->presence.online(1)) == std::set<int64_t>{7}; }));
  EXPECT_TRUE(eventually([&] { return b_->saw_change(1); }));
  EXPECT_TRUE(b_->presence.online(2).empty());
  EXPECT_TRUE(a_->presence.leave(1, 7));
  EXPECT_TRUE(eventually([&] { return b_->presence.online(1).empty(); }));
}

TEST_F(ClusterPresenceTest, AUserOnBothReplicasIsOneEntry) {
  a_->presence.join(1, 7, user(7));
  ASSERT_TRUE(eventually([&] { return !b_->presence.online(1).empty(); }));
  // Already online through A: B's join does not change the list.
  EXPECT_FALSE(b_->presence.join(1, 7, user(7)));
  EXPECT_EQ(b_->presence.online(1).size(), 1u);
  hub_.flush();  // A has heard of B's connection
  EXPECT_EQ(a_->presence.online(1).size(), 1u);
  // Leaving A keeps the user online (still on B), everywhere.
  EXPECT_FALSE(a_->presence.leave(1, 7));
  hub_.flush();
  EXPECT_EQ(ids(a_->presence.online(1)), std::set<int64_t>{7});
  EXPECT_EQ(ids(b_->presence.online(1)), std::set<int64_t>{7});
  EXPECT_TRUE(b_->presence.leave(1, 7));
  EXPECT_TRUE(eventually([&] { return a_->presence.online(1).empty(); }));
}

TEST_F(ClusterPresenceTest, ALostMessageIsRepairedFromASnapshot) {
  hub_.drop_next(1);
  a_->presence.join(3, 8, user(8));  // its delta is lost; A's next heartbeat shows the gap
  EXPECT_TRUE(eventually([&] { return ids(b_->presence.online(3)) == std::set<int64_t>{8}; }));
}

TEST_F(ClusterPresenceTest, ProfileUpdatesReachTheOtherReplica) {
  a_->presence.join(1, 7, user(7));
  ASSERT_TRUE(eventually([&] { return !b_->presence.online(1).empty(); }));
  auto changed = user(7);
  changed["avatar"] = "/avatars/x.webp";
  a_->presence.update_user(7, changed);
  EXPECT_TRUE(eventually([&] {
    auto online = b_->presence.online(1);
    return online.size() == 1 && online[0].as_object().contains("avatar");
  }));
}

TEST_F(ClusterPresenceTest, ASilentReplicaTakesItsUsersWithIt) {
  a_->presence.join(1, 7, user(7));
  a_->presence.join(2, 9, user(9));
  ASSERT_TRUE(eventually([&] { return b_->presence.online(1).size() == 1 && b_->presence.online(2).size() == 1; }));
  a_->bus.stop();  // no more heartbeats: after 4 missed ones (80 ms) A is gone
  EXPECT_TRUE(eventually([&] { return b_->presence.online(1).empty() && b_->presence.online(2).empty(); }, 2000ms));
  EXPECT_EQ(b_->bus.node_count(), 1u);
  EXPECT_TRUE(b_->saw_change(2));
}

TEST(ClusterBusTest, ChannelKeysAreSafeAndDistinct) {
  const auto a = socketio::ClusterBus::channel_key("room:1");
  const auto b = socketio::ClusterBus::channel_key("room:2");
  EXPECT_NE(a, b);
  EXPECT_EQ(a.rfind("room1-", 0), 0u) << a;
  EXPECT_TRUE(broker::valid_channel("dchat.io." + socketio::ClusterBus::channel_key("/") + ".r." + a));
  const auto weird = socketio::ClusterBus::channel_key(std::string(500, '\xff'));
  EXPECT_TRUE(broker::valid_channel(weird)) << weird;
  EXPECT_LE(weird.size(), 41u);
}

}  // namespace
}  // namespace dchat::chat
