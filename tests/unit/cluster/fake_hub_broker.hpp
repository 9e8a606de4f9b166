#pragma once
// An in-process stand-in for a broker server shared by several replicas in one test: every
// FakeHubBroker attached to a Hub sees what the others publish on its channels, delivered in
// order on the hub's own thread. The hub can lose messages on purpose (drop_next) to test
// what the cluster code does about gaps.
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "broker/broker.hpp"

namespace dchat::test {

class FakeHubBroker;

class Hub {
 public:
  Hub() : thread_([this] { run(); }) {}
  ~Hub() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    ready_.notify_all();
    thread_.join();
  }
  void drop_next(int n) {
    std::lock_guard lock(mutex_);
    drop_ += n;
  }
  // Waits until everything published so far has been delivered.
  void flush() {
    std::unique_lock lock(mutex_);
    idle_.wait(lock, [this] { return queue_.empty() && !delivering_; });
  }
  void attach(FakeHubBroker* b) {
    std::lock_guard lock(mutex_);
    brokers_.insert(b);
  }
  void detach(FakeHubBroker* b) {
    std::unique_lock lock(mutex_);
    brokers_.erase(b);
    // Wait until a delivery in flight to `b` is over.
    idle_.wait(lock, [this] { return !delivering_; });
  }
  void publish(std::string channel, std::string payload) {
    {
      std::lock_guard lock(mutex_);
      if (drop_ > 0) {
        --drop_;
        return;
      }
      queue_.emplace_back(std::move(channel), std::move(payload));
    }
    ready_.notify_all();
  }

 private:
  void run();
  std::mutex mutex_;
  std::condition_variable ready_, idle_;
  std::deque<std::pair<std::string, std::string>> queue_;
  std::set<FakeHubBroker*> brokers_;
  bool stopping_ = false;
  bool delivering_ = false;
  int drop_ = 0;
  std::thread thread_;
};

class FakeHubBroker : public broker::Broker {
 public:
  explicit FakeHubBroker(Hub& hub) : hub_(hub) {}
  ~FakeHubBroker() override { stop(); }
  void start(MessageHandler on_message, StateHandler on_state) override {
    {
      std::lock_guard lock(mutex_);
      on_message_ = std::move(on_message);
    }
    hub_.attach(this);
    on_state(true);
  }
  void stop() override {
    if (stopped_) return;
    stopped_ = true;
    hub_.detach(this);
  }
  void publish(std::string channel, std::string payload) override {
    if (!stopped_) hub_.publish(std::move(channel), std::move(payload));
  }
  void subscribe(std::string channel) override {
    std::lock_guard lock(mutex_);
    channels_.insert(std::move(channel));
  }
  void unsubscribe(std::string channel) override {
    std::lock_guard lock(mutex_);
    channels_.erase(channel);
  }
  bool connected() const override { return !stopped_; }
  broker::BrokerStats stats() const override { return {}; }
  std::string_view kind() const override { return "fake"; }

  void deliver(const std::string& channel, const std::string& payload) {
    MessageHandler handler;
    {
      std::lock_guard lock(mutex_);
      if (!channels_.count(channel)) return;
      handler = on_message_;
    }
    if (handler) handler(channel, payload);
  }

 private:
  Hub& hub_;
  std::mutex mutex_;
  std::set<std::string> channels_;
  MessageHandler on_message_;
  std::atomic<bool> stopped_{false};
};

inline void Hub::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    auto [channel, payload] = std::move(queue_.front());
    queue_.pop_front();
    delivering_ = true;
    std::vector<FakeHubBroker*> targets(brokers_.begin(), brokers_.end());
    lock.unlock();
    for (auto* b : targets) b->deliver(channel, payload);
    lock.lock();
    delivering_ = false;
    idle_.notify_all();
  }
}

}  // namespace dchat::test
