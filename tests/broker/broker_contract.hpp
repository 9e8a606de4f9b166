#pragma once
// The Broker contract suite's plug-in point (the tests are in broker_contract_test.cpp; the
// contract itself is written in src/broker/broker.hpp). Each implementation adds one file,
// tests/broker/broker_factories_<kind>.cpp (globbed by tests/broker/CMakeLists.txt), that
// instantiates the suite with its factory:
//
//   INSTANTIATE_TEST_SUITE_P(Redis, BrokerContract, ::testing::Values(redis_factory()),
//                            dchat::broker::contract::factory_name);
//
// Every test runs against a real server. A factory reads the server's address from the
// environment (SERVICES_ENV in tests/CMakeLists.txt, e.g. TEST_REDIS_URL) with required_env(),
// which throws -- the test FAILS, it is never skipped -- when the variable is unset.
//
// Reconnect tests never touch the shared servers: the factory's `private_server` starts a private
// instance for the one test (scripts/services.sh with its own SERVICES_DIR and free ports, see
// ServicesScriptServer below), the test stops and starts it, and it is stopped and deleted when
// the test ends. Those tests are named Restart* and run under the ctest RESOURCE_LOCK
// private_services.
//
// What the suite expects beyond broker.hpp's text:
// - unsubscribe() takes effect for delivery at once: a message on that channel that reaches the
//   broker's thread after the unsubscribe() call is not delivered (filter locally; the server's
//   UNSUBSCRIBE may still be in flight);
// - subscribe() is asynchronous, so the tests "prime" a subscription by publishing probe messages
//   (payloads starting with kProbePrefix) until one arrives; probes are not recorded.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <ostream>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "broker/broker.hpp"

#ifndef CHAT_SOURCE_DIR
#error "CHAT_SOURCE_DIR must be defined (tests/broker/CMakeLists.txt)"
#endif
#ifndef CHAT_BINARY_DIR
#error "CHAT_BINARY_DIR must be defined (tests/broker/CMakeLists.txt)"
#endif

namespace dchat::broker::contract {

using namespace std::chrono_literals;
using BrokerMaker = std::function<std::unique_ptr<Broker>()>;

// Every bounded wait in the suite.
inline constexpr std::chrono::milliseconds kWait = 10s;
inline constexpr std::string_view kProbePrefix = "\x01probe:";

// The value of an environment variable the test needs; throws (so the test fails with this
// message) when it is unset or empty.
inline std::string required_env(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v)
    throw std::runtime_error(std::string(name) +
                             " is not set: start the test servers with `scripts/services.sh start all` and "
                             "run the tests through ctest (or `eval \"$(scripts/services.sh env)\"`)");
  return v;
}

// A TCP port on 127.0.0.1 that nothing listens on right now (the kernel picks it).
inline int free_tcp_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("bind() failed");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

// A private instance of one of scripts/services.sh's servers, for one test: its own
// SERVICES_DIR under the build tree and free ports (passed as the script's port variables, e.g.
// {"REDIS_PORT"} or {"NATS_PORT", "NATS_MONITOR_PORT"}). Started by the constructor; stopped and
// its directory deleted by the destructor, so no private server outlives its test.
class ServicesScriptServer {
 public:
  ServicesScriptServer(std::string service, std::vector<std::string> port_vars) : service_(std::move(service)) {
    for (auto& var : port_vars) ports_.emplace_back(std::move(var), free_tcp_port());
    dir_ = std::filesystem::path(CHAT_BINARY_DIR) / "private-services" /
           (service_ + "-" + std::to_string(ports_.empty() ? 0 : ports_[0].second));
    std::filesystem::create_directories(dir_);
    start();
  }
  ServicesScriptServer(const ServicesScriptServer&) = delete;
  ServicesScriptServer& operator=(const ServicesScriptServer&) = delete;
  ~ServicesScriptServer() {
    try {
      run("stop", false);
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    } catch (...) {
    }
  }

  int port(size_t i = 0) const { return ports_.at(i).second; }
  void start() { run("start", true); }
  void stop() { run("stop", true); }

 private:
  void run(const char* action, bool must_succeed) {
    std::string cmd = "SERVICES_DIR='" + dir_.string() + "'";
    for (const auto& [var, port] : ports_) cmd += " " + var + "=" + std::to_string(port);
    cmd += " bash '" CHAT_SOURCE_DIR "/scripts/services.sh' " + std::string(action) + " " + service_;
    const int rc = std::system(cmd.c_str());
    if (must_succeed && rc != 0) throw std::runtime_error("failed (" + std::to_string(rc) + "): " + cmd);
  }

  std::string service_;
  std::vector<std::pair<std::string, int>> ports_;
  std::filesystem::path dir_;
};

// A server private to one reconnect test, which the test can stop and start again.
class PrivateServer {
 public:
  virtual ~PrivateServer() = default;  // stops the server
  // A new (not started) broker connected to this server.
  virtual std::unique_ptr<Broker> make() = 0;
  // Stops the server: established connections are closed. Returns when it is down.
  virtual void stop() = 0;
  // Starts it again on the same address. Returns when it accepts connections.
  virtual void start() = 0;
};

struct BrokerFactory {
  std::string name;  // test-name suffix: letters, digits and '_' only
  // A new, not yet started broker on the shared test server. Each call is one more replica: the
  // suite makes several and checks that they reach each other.
  BrokerMaker make;
  // A new broker pointed at an address where no server listens (e.g. a free port on 127.0.0.1).
  // Null when the broker needs no server (local): the unreachable test is skipped then.
  BrokerMaker make_unreachable;
  // Starts a private server for a reconnect test. Null for "local": those tests are skipped.
  std::function<std::unique_ptr<PrivateServer>()> private_server;
};

inline void PrintTo(const BrokerFactory& f, std::ostream* os) { *os << f.name; }

inline std::string factory_name(const ::testing::TestParamInfo<BrokerFactory>& info) { return info.param.name; }

struct Received {
  std::string channel;
  std::string payload;
  bool operator==(const Received&) const = default;
};

// Collects what one broker delivers: messages (probes apart) and on_state changes. The waits are
// bounded (kWait) and use a condition variable, never a sleep.
class Recorder {
 public:
  Broker::MessageHandler message_handler() {
    return [this](std::string_view channel, std::string_view payload) {
      std::lock_guard lock(mu_);
      if (after_stop_) ++after_stop_calls_;
      if (payload.starts_with(kProbePrefix)) {
        // "<prefix><nonce>:<n>": remember which prime() call the probe belongs to.
        std::string_view rest = payload.substr(kProbePrefix.size());
        probed_.emplace(std::string(channel) + "\n" + std::string(rest.substr(0, rest.find(':'))));
      }
      else
        messages_.push_back({std::string(channel), std::string(payload)});
      cv_.notify_all();
    };
  }
  Broker::StateHandler state_handler() {
    return [this](bool connected) {
      std::lock_guard lock(mu_);
      if (after_stop_) ++after_stop_calls_;
      states_.push_back(connected);
      cv_.notify_all();
    };
  }

  // Waits until pred() (called under the recorder's lock) holds; false on timeout.
  template <class Pred>
  bool wait(Pred pred, std::chrono::milliseconds timeout = kWait) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return pred(); });
  }

  bool wait_count(size_t n, std::chrono::milliseconds timeout = kWait) {
    return wait([&] { return messages_.size() >= n; }, timeout);
  }
  bool wait_message(const Received& m, std::chrono::milliseconds timeout = kWait) {
    return wait([&] { return contains_locked(m); }, timeout);
  }
  // Waits for the latest on_state value to be `connected`.
  bool wait_state(bool connected, std::chrono::milliseconds timeout = kWait) {
    return wait([&] { return !states_.empty() && states_.back() == connected; }, timeout);
  }
  bool wait_probe(const std::string& channel, const std::string& nonce, std::chrono::milliseconds timeout) {
    const std::string key = channel + "\n" + nonce;
    return wait([&] { return probed_.count(key) > 0; }, timeout);
  }

  std::vector<Received> messages() {
    std::lock_guard lock(mu_);
    return messages_;
  }
  std::vector<Received> on_channel(const std::string& channel) {
    std::lock_guard lock(mu_);
    std::vector<Received> out;
    for (const auto& m : messages_)
      if (m.channel == channel) out.push_back(m);
    return out;
  }
  bool contains(const Received& m) {
    std::lock_guard lock(mu_);
    return contains_locked(m);
  }
  std::vector<bool> states() {
    std::lock_guard lock(mu_);
    return states_;
  }
  void clear() {
    std::lock_guard lock(mu_);
    messages_.clear();
  }
  // From now on every handler call is a contract violation (the broker was stopped).
  void mark_stopped() {
    std::lock_guard lock(mu_);
    after_stop_ = true;
  }
  int calls_after_stop() {
    std::lock_guard lock(mu_);
    return after_stop_calls_;
  }

 private:
  bool contains_locked(const Received& m) const {
    for (const auto& x : messages_)
      if (x == m) return true;
    return false;
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Received> messages_;
  std::set<std::string> probed_;
  std::vector<bool> states_;
  bool after_stop_ = false;
  int after_stop_calls_ = 0;
};

// Publishes probes on `channel` through `publisher` until `subscriber` has seen one: from then on
// the subscription is active on the server. False when none arrived within kWait.
inline bool prime(Broker& publisher, Recorder& subscriber, const std::string& channel) {
  static std::atomic<int> calls{0};
  const std::string nonce = std::to_string(calls++);  // probes of earlier prime() calls do not count
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  int n = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    publisher.publish(channel, std::string(kProbePrefix) + nonce + ":" + std::to_string(n++));
    if (subscriber.wait_probe(channel, nonce, 100ms)) return true;
  }
  return false;
}

// Waits until `pred()` holds, polling every few milliseconds (for stats(), which has no
// notification). Bounded by kWait.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = kWait) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

class BrokerContract : public ::testing::TestWithParam<BrokerFactory> {
 protected:
  void TearDown() override {
    for (auto& b : brokers_) b.broker->stop();
    for (auto& b : brokers_) b.recorder->mark_stopped();
    brokers_.clear();
  }

  // A broker from `maker` (the factory's make by default), started with a new recorder. Stopped
  // by TearDown. Does not wait for the connection.
  std::pair<Broker*, Recorder*> start_one(const BrokerMaker& maker = {}) {
    Entry e;
    e.recorder = std::make_unique<Recorder>();
    e.broker = maker ? maker() : GetParam().make();
    if (!e.broker) throw std::runtime_error("the factory returned no broker");
    e.broker->start(e.recorder->message_handler(), e.recorder->state_handler());
    brokers_.push_back(std::move(e));
    return {brokers_.back().broker.get(), brokers_.back().recorder.get()};
  }

  // Stops one broker now and checks that no handler runs afterwards (checked again at the end).
  void stop_one(Broker* broker) {
    for (auto& e : brokers_)
      if (e.broker.get() == broker) {
        e.broker->stop();
        e.recorder->mark_stopped();
      }
  }

  int handler_calls_after_stop() {
    int n = 0;
    for (auto& e : brokers_) n += e.recorder->calls_after_stop();
    return n;
  }

  struct Entry {
    std::unique_ptr<Recorder> recorder;  // declared first: outlives the broker
    std::unique_ptr<Broker> broker;
    Entry() = default;
    Entry(Entry&&) = default;
    Entry& operator=(Entry&&) = default;
    ~Entry() {
      if (broker) broker->stop();
    }
  };
  std::vector<Entry> brokers_;
};

}  // namespace dchat::broker::contract
