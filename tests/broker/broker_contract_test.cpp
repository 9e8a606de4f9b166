// The Broker contract (src/broker/broker.hpp), checked against every implementation with a real
// server: instantiated per implementation by broker_factories_*.cpp through broker_contract.hpp.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "broker_contract.hpp"

namespace dchat::broker::contract {
namespace {

// Channel names unique to this process and test: the servers are shared by tests running in
// parallel, so two tests must never use the same channel.
std::string unique_channel(const std::string& name) {
  static std::atomic<int> counter{0};
  return "t" + std::to_string(::getpid()) + "." + std::to_string(counter++) + "." + name;
}

std::string random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng() & 0xFF);
  return s;
}

// Two started brokers ("replicas") connected to the factory's server.
#define START_CONNECTED(var, rec, maker)                                   \
  auto [var, rec] = start_one(maker);                                      \
  ASSERT_TRUE(rec->wait_state(true)) << "on_state(true) never came";       \
  ASSERT_TRUE(var->connected())

TEST(BrokerChannel, ValidChannelRules) {
  EXPECT_TRUE(valid_channel("a"));
  EXPECT_TRUE(valid_channel("chat.room-1_x"));
  EXPECT_TRUE(valid_channel("0123456789.-_abcdefghijklmnopqrstuvwxyz"));
  EXPECT_TRUE(valid_channel(std::string(120, 'z')));
  EXPECT_FALSE(valid_channel(std::string(121, 'z')));
  EXPECT_FALSE(valid_channel(""));
  EXPECT_FALSE(valid_channel("Room"));
  EXPECT_FALSE(valid_channel("a b"));
  EXPECT_FALSE(valid_channel("a/b"));
  EXPECT_FALSE(valid_channel("a*"));
  EXPECT_FALSE(valid_channel("a\"b"));
  EXPECT_FALSE(valid_channel(std::string("a\0b", 3)));
  EXPECT_FALSE(valid_channel("caf\xc3\xa9"));
}

TEST_P(BrokerContract, ReportsConnectedAndKind) {
  START_CONNECTED(a, ra, {});
  const std::vector<std::string_view> kinds = {"redis", "nats", "amqp", "postgres", "local"};
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), a->kind()), kinds.end()) << a->kind();
  EXPECT_EQ(ra->states(), std::vector<bool>{true});
  EXPECT_EQ(a->stats().dropped, 0u);
}

TEST_P(BrokerContract, DeliversToAnotherReplicaAndToItself) {
  START_CONNECTED(a, ra, {});
  START_CONNECTED(b, rb, {});
  const std::string ch = unique_channel("both");
  a->subscribe(ch);
  b->subscribe(ch);
  ASSERT_TRUE(prime(*b, *ra, ch));
  ASSERT_TRUE(prime(*a, *rb, ch));
  a->publish(ch, "from a");
  b->publish(ch, "from b");
  for (Recorder* r : {ra, rb}) {
    EXPECT_TRUE(r->wait_message({ch, "from a"}));
    EXPECT_TRUE(r->wait_message({ch, "from b"}));
  }
  EXPECT_TRUE(eventually([&] { return a->stats().published >= 1 && a->stats().received >= 2; }));
  EXPECT_EQ(a->stats().dropped, 0u);
}

TEST_P(BrokerContract, NoDeliveryOnChannelsNotSubscribed) {
  START_CONNECTED(a, ra, {});
  START_CONNECTED(b, rb, {});
  const std::string on = unique_channel("on");
  const std::string off = unique_channel("off");
  a->subscribe(on);
  ASSERT_TRUE(prime(*b, *ra, on));
  b->publish(off, "not for a");
  b->publish(on, "marker");
  ASSERT_TRUE(ra->wait_message({on, "marker"}));
  EXPECT_EQ(ra->messages(), (std::vector<Received>{{on, "marker"}}));
  EXPECT_TRUE(rb->messages().empty());  // b subscribed to nothing
}

TEST_P(BrokerContract, UnsubscribeStopsDelivery) {
  START_CONNECTED(a, ra, {});
  START_CONNECTED(b, rb, {});
  const std::string ch = unique_channel("unsub");
  const std::string control = unique_channel("control");
  a->subscribe(ch);
  a->subscribe(control);
  a->subscribe(ch);  // idempotent
  ASSERT_TRUE(prime(*b, *ra, ch));
  ASSERT_TRUE(prime(*b, *ra, control));
  b->publish(ch, "before");
  ASSERT_TRUE(ra->wait_message({ch, "before"}));

  a->unsubscribe(ch);
  a->unsubscribe(ch);  // idempotent
  b->publish(ch, "after");
  b->publish(control, "marker");
  ASSERT_TRUE(ra->wait_message({control, "marker"}));
  EXPECT_FALSE(ra->contains({ch, "after"}));

  // Subscribing again brings the channel back.
  ra->clear();
  a->subscribe(ch);
  ASSERT_TRUE(prime(*b, *ra, ch));
  b->publish(ch, "again");
  EXPECT_TRUE(ra->wait_message({ch, "again"}));
  EXPECT_FALSE(ra->contains({ch, "after"}));
}

TEST_P(BrokerContract, PreservesOrderOf1000Messages) {
  START_CONNECTED(a, ra, {});
  START_CONNECTED(b, rb, {});
  const std::string ch = unique_channel("order");
  a->subscribe(ch);
  ASSERT_TRUE(prime(*b, *ra, ch));
  constexpr int kCount = 1000;
  for (int i = 0; i < kCount; ++i) b->publish(ch, "m" + std::to_string(i));
  ASSERT_TRUE(ra->wait_count(kCount)) << ra->messages().size() << " of " << kCount;
  const auto got = ra->messages();
  ASSERT_EQ(got.size(), size_t{kCount});
  for (int i = 0; i < kCount; ++i) ASSERT_EQ(got[i], (Received{ch, "m" + std::to_string(i)})) << "at " << i;
  EXPECT_EQ(b->stats().dropped, 0u);
}

TEST_P(BrokerContract, BinaryPayloadRoundTrips) {
  START_CONNECTED(a, ra, {});
  START_CONNECTED(b, rb, {});
  const std::string ch = unique_channel("binary");
  a->subscribe(ch);
  ASSERT_TRUE(prime(*b, *ra, ch));
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  const std::vector<std::string> payloads = {all, std::string("\0", 1), std::string("a\0b\0\0", 5),
                                             "\xff\xfe invalid UTF-8 \xc3", all + all};
  for (const auto& p : payloads) b->publish(ch, p);
  ASSERT_TRUE(ra->wait_count(payloads.size()));
  const auto got = ra->messages();
  ASSERT_EQ(got.size(), payloads.size());
  for (size_t i = 0; i < payloads.size(); ++i) EXPECT_EQ(got[i].payload, payloads[i]) << "payload " << i;
}

TEST_P(BrokerContract, PayloadsOfEverySizeRoundTripInOrder) {
  START_CONNECTED(a, ra, {});
  START_CONNECTED(b, rb, {});
  const std::string ch = unique_channel("sizes");
  a->subscribe(ch);
  ASSERT_TRUE(prime(*b, *ra, ch));
  // Empty, small, around PostgreSQL's NOTIFY limit (8000 bytes), large, and the largest allowed.
  const std::vector<size_t> sizes = {0, 1, 100, 5000, 5900, 6000, 7999, 8000, 8001, 200 * 1024, 3, kMaxPayload, 7};
  std::vector<std::string> payloads;
  for (size_t i = 0; i < sizes.size(); ++i) payloads.push_back(random_bytes(sizes[i], static_cast<uint32_t>(i)));
  for (const auto& p : payloads) b->publish(ch, p);
  ASSERT_TRUE(ra->wait_count(payloads.size())) << ra->messages().size() << " of " << payloads.size();
  const auto got = ra->messages();
  ASSERT_EQ(got.size(), payloads.size());
  for (size_t i = 0; i < payloads.size(); ++i) {
    EXPECT_EQ(got[i].payload.size(), payloads[i].size()) << "message " << i;
    EXPECT_TRUE(got[i].payload == payloads[i]) << "message " << i << " differs";
  }
  EXPECT_EQ(b->stats().dropped, 0u);
}

TEST_P(BrokerContract, OversizedPayloadIsDroppedAndCounted) {
  START_CONNECTED(a, ra, {});
  const std::string ch = unique_channel("oversized");
  a->subscribe(ch);
  ASSERT_TRUE(prime(*a, *ra, ch));
  a->publish(ch, std::string(kMaxPayload + 1, 'x'));
  a->publish(ch, "small");
  ASSERT_TRUE(ra->wait_message({ch, "small"}));
  EXPECT_EQ(ra->messages().size(), 1u);
  EXPECT_TRUE(eventually([&] { return a->stats().dropped == 1; })) << a->stats().dropped;
}

TEST_P(BrokerContract, InvalidChannelsAreRefusedAndCounted) {
  START_CONNECTED(a, ra, {});
  a->publish("Upper", "x");
  a->publish("", "x");
  a->publish(std::string(121, 'a'), "x");
  a->publish("a b", "x");
  a->subscribe("Bad Name");  // ignored, no crash
  a->unsubscribe("Bad Name");
  EXPECT_TRUE(eventually([&] { return a->stats().dropped == 4; })) << a->stats().dropped;
  // The broker still works.
  const std::string ch = unique_channel("after-invalid");
  a->subscribe(ch);
  ASSERT_TRUE(prime(*a, *ra, ch));
  a->publish(ch, "ok");
  EXPECT_TRUE(ra->wait_message({ch, "ok"}));
}

TEST_P(BrokerContract, ManyChannels) {
  START_CONNECTED(a, ra, {});
  START_CONNECTED(b, rb, {});
  constexpr int kChannels = 200;
  std::vector<std::string> channels;
  for (int i = 0; i < kChannels; ++i) channels.push_back(unique_channel("many" + std::to_string(i)));
  for (const auto& ch : channels) a->subscribe(ch);
  for (const auto& ch : channels) ASSERT_TRUE(prime(*b, *ra, ch)) << ch;
  for (int i = 0; i < kChannels; ++i) b->publish(channels[i], "p" + std::to_string(i));
  ASSERT_TRUE(ra->wait_count(kChannels));
  std::map<std::string, std::string> got;
  for (const auto& m : ra->messages()) got[m.channel] = m.payload;
  ASSERT_EQ(got.size(), size_t{kChannels});
  for (int i = 0; i < kChannels; ++i) EXPECT_EQ(got[channels[i]], "p" + std::to_string(i));
}

TEST_P(BrokerContract, ConcurrentPublishersAllArriveInPerThreadOrder) {
  START_CONNECTED(a, ra, {});
  START_CONNECTED(b, rb, {});
  const std::string ch = unique_channel("threads");
  a->subscribe(ch);
  ASSERT_TRUE(prime(*b, *ra, ch));
  constexpr int kThreads = 4, kEach = 250;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) b->publish(ch, std::to_string(t) + ":" + std::to_string(i));
    });
  for (auto& t : threads) t.join();
  ASSERT_TRUE(ra->wait_count(kThreads * kEach)) << ra->messages().size();
  std::vector<int> next(kThreads, 0);
  for (const auto& m : ra->messages()) {
    const size_t colon = m.payload.find(':');
    const int t = std::stoi(m.payload.substr(0, colon));
    EXPECT_EQ(std::stoi(m.payload.substr(colon + 1)), next[t]) << "thread " << t;
    next[t] = std::stoi(m.payload.substr(colon + 1)) + 1;
  }
  EXPECT_EQ(next, std::vector<int>(kThreads, kEach));
}

TEST_P(BrokerContract, StopWhileMessagesFlowIsClean) {
  START_CONNECTED(a, ra, {});
  START_CONNECTED(b, rb, {});
  const std::string ch = unique_channel("flow");
  a->subscribe(ch);
  b->subscribe(ch);
  ASSERT_TRUE(prime(*b, *ra, ch));
  std::atomic<bool> done{false};
  std::thread publisher([&] {
    for (int i = 0; !done; ++i) b->publish(ch, "f" + std::to_string(i));
  });
  ASSERT_TRUE(ra->wait_count(100));
  const auto t0 = std::chrono::steady_clock::now();
  stop_one(a);  // a receiver stopping in the middle of the flow
  ASSERT_TRUE(rb->wait_count(100));
  stop_one(b);  // the publisher's own broker stopping under its feet
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  done = true;
  publisher.join();
  EXPECT_LT(elapsed, 5s);
  EXPECT_EQ(handler_calls_after_stop(), 0);
  a->stop();  // idempotent
  b->publish(ch, "after stop");  // dropped, no crash
  b->subscribe(ch);
  b->unsubscribe(ch);
  EXPECT_EQ(handler_calls_after_stop(), 0);
}

TEST_P(BrokerContract, StopIsIdempotentAndDestroyingWithoutStartIsFine) {
  { auto never_started = GetParam().make(); }
  {
    auto never_started = GetParam().make();
    never_started->stop();
    never_started->publish("a", "x");  // not connected: dropped
    never_started->stop();
  }
  START_CONNECTED(a, ra, {});
  a->stop();
  a->stop();
  EXPECT_FALSE(a->connected());
}

TEST_P(BrokerContract, UnreachableServer) {
  if (!GetParam().make_unreachable) GTEST_SKIP() << GetParam().name << " needs no server";
  auto [a, ra] = start_one(GetParam().make_unreachable);
  EXPECT_FALSE(a->connected());
  a->subscribe(unique_channel("nowhere"));  // remembered, no crash
  a->publish(unique_channel("nowhere"), "lost");
  EXPECT_TRUE(eventually([&] { return a->stats().dropped == 1; })) << a->stats().dropped;
  EXPECT_FALSE(a->connected());
  const auto t0 = std::chrono::steady_clock::now();
  stop_one(a);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s) << "stop() must not wait for the connection attempt";
  EXPECT_EQ(std::count(ra->states().begin(), ra->states().end(), true), 0);
  EXPECT_EQ(handler_calls_after_stop(), 0);
}

// ---- Reconnect, against a private server (RESOURCE_LOCK private_services) ----

TEST_P(BrokerContract, RestartRestoresSubscriptions) {
  if (!GetParam().private_server) GTEST_SKIP() << GetParam().name << " has no server to restart";
  std::unique_ptr<PrivateServer> server = GetParam().private_server();
  BrokerMaker maker = [&] { return server->make(); };
  START_CONNECTED(a, ra, maker);
  START_CONNECTED(b, rb, maker);
  const std::string ch = unique_channel("restart");
  a->subscribe(ch);
  ASSERT_TRUE(prime(*b, *ra, ch));
  b->publish(ch, "before");
  ASSERT_TRUE(ra->wait_message({ch, "before"}));

  server->stop();
  ASSERT_TRUE(ra->wait_state(false)) << "on_state(false) never came";
  ASSERT_TRUE(rb->wait_state(false));
  EXPECT_FALSE(a->connected());
  const uint64_t dropped = b->stats().dropped;
  b->publish(ch, "while down");
  EXPECT_TRUE(eventually([&] { return b->stats().dropped == dropped + 1; }));

  server->start();
  ASSERT_TRUE(ra->wait_state(true)) << "no reconnect";
  ASSERT_TRUE(rb->wait_state(true));
  // The subscription was restored without calling subscribe() again.
  ASSERT_TRUE(prime(*b, *ra, ch));
  b->publish(ch, "after");
  EXPECT_TRUE(ra->wait_message({ch, "after"}));
  EXPECT_FALSE(ra->contains({ch, "while down"}));
  EXPECT_GE(a->stats().reconnects, 1u);
  EXPECT_GE(b->stats().reconnects, 1u);
  const auto states = ra->states();
  ASSERT_GE(states.size(), 3u);
  EXPECT_TRUE(states.front());
  EXPECT_TRUE(states.back());
  for (size_t i = 1; i < states.size(); ++i) EXPECT_NE(states[i], states[i - 1]) << "on_state repeated a value";

  stop_one(a);
  stop_one(b);
  server.reset();
}

TEST_P(BrokerContract, RestartConnectsWhenTheServerComesUpLater) {
  if (!GetParam().private_server) GTEST_SKIP() << GetParam().name << " has no server to restart";
  std::unique_ptr<PrivateServer> server = GetParam().private_server();
  server->stop();
  BrokerMaker maker = [&] { return server->make(); };
  auto [a, ra] = start_one(maker);
  const std::string ch = unique_channel("later");
  a->subscribe(ch);  // before the connection exists: remembered
  EXPECT_FALSE(a->connected());
  server->start();
  ASSERT_TRUE(ra->wait_state(true));
  ASSERT_TRUE(prime(*a, *ra, ch));
  a->publish(ch, "hello");
  EXPECT_TRUE(ra->wait_message({ch, "hello"}));
  EXPECT_EQ(a->stats().reconnects, 0u);  // the first successful connection is not a reconnect
  stop_one(a);
  server.reset();
}

}  // namespace
}  // namespace dchat::broker::contract
