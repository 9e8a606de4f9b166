#pragma once
// The threaded base NatsBroker and AmqpBroker share (as RedisBroker and PgNotifyBroker share
// BrokerThread): their client libraries (nats.c, rabbitmq-c) are driven by one worker thread that
// alone touches the connection, so publish/subscribe/unsubscribe only queue operations for it
// (publishes bounded by PublishGate, at most one subscription change per channel). What the
// worker does with them, and how it waits, is the subclass's run().
//
// Subscriptions: the wanted set changes at once on the caller's thread (deliver() filters on it,
// so nothing arrives for a channel after unsubscribe() returns); the server side follows when the
// worker applies the queued change (take_change()).
//
// Handlers go through one gate: they never run concurrently, never after stop() has begun, and
// on_state is told only of changes. A handler that throws is logged, not propagated.
//
// stop() (idempotent, thread-safe) closes the gate, discards the queued operations (publishes
// not counted as dropped), wakes the worker and joins it. Subclasses must be stopped before they
// are destroyed: WorkerBroker does it.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "broker/broker.hpp"
#include "broker/publish_gate.hpp"

namespace dchat::broker {

// Reconnect delays of the worker brokers: 100 ms doubling to 5 s, with ±20 % jitter.
inline constexpr int64_t kReconnectFirstMs = 100;
inline constexpr int64_t kReconnectMaxMs = 5000;
int64_t reconnect_backoff_ms(int attempt);

class BrokerWorker {
 public:
  // Publishes queued for the worker beyond this (or PublishGate's byte limit) are refused and
  // counted as dropped: memory stays bounded whatever the callers do.
  static constexpr size_t kMaxQueuedPublishes = 16 * 1024;

  explicit BrokerWorker(std::string_view kind);
  virtual ~BrokerWorker() = default;
  BrokerWorker(const BrokerWorker&) = delete;
  BrokerWorker& operator=(const BrokerWorker&) = delete;

  // Stores the handlers and spawns the worker (once; nothing after stop()).
  void start(Broker::MessageHandler on_message, Broker::StateHandler on_state);
  // False when the library may still call into this object: it must then never be freed.
  bool stop();
  void publish(std::string channel, std::string payload);
  void change(std::string channel, bool subscribe);
  bool connected() const { return connected_.load(); }
  BrokerStats stats() const { return gate_.stats(); }

 protected:
  struct Op {
    bool publish;    // else: bring the subscription of `channel` in line with the wanted set
    uint64_t epoch;  // publishes: epoch() when they were queued
    std::string channel;
    std::string payload;
  };

  // The worker thread: returns once stopping, its connection closed.
  virtual void run() = 0;
  // Wakes a worker waiting on something else than wait_for_ops(): after an operation is queued
  // into an empty queue, and by stop(). Any thread.
  virtual void wake() {}
  // Asked by stop() once the worker has been joined.
  virtual bool safe_to_free() const { return true; }

  // ---- for the worker ----
  bool stopping() const;
  // The queued operations, once there are some; nothing once stopping.
  std::optional<std::deque<Op>> wait_for_ops();
  // The queued operations (maybe none) without waiting; nothing once stopping.
  std::optional<std::deque<Op>> take_ops();
  // Waits `delay` or until stopping, whichever comes first.
  void sleep_unless_stopping(std::chrono::milliseconds delay);
  // Publishes queued for a connection that is gone are dropped, not sent late; subscription
  // changes stay queued.
  void drop_queued_publishes();
  // The change queued for `channel` is being applied: whether the channel is wanted now.
  bool take_change(const std::string& channel);
  bool wanted(const std::string& channel) const;
  std::vector<std::string> wanted_channels() const;
  // Connections are numbered so that a publish queued for one is never sent on the next.
  uint64_t epoch() const;
  void next_epoch();

  // ---- the handler gate (any thread) ----
  void set_state(bool up);
  // Delivers to on_message when `channel` is still wanted.
  void deliver(const std::string& channel, std::string_view payload);

  const std::string kind_;
  std::atomic<bool> connected_{false};
  // Admission (bounded queue), counters and log-once warnings.
  PublishGate gate_;

 private:
  Broker::MessageHandler on_message_;
  Broker::StateHandler on_state_;

  // The queue of work for the worker thread and the wanted subscriptions.
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Op> ops_;
  std::set<std::string> desired_;
  std::set<std::string> pending_;  // channels with a change in ops_
  uint64_t epoch_ = 0;
  bool started_ = false;
  bool stopping_ = false;

  // The gate every handler call goes through.
  std::mutex deliver_mu_;
  bool delivering_ = true;
  bool reported_ = false;  // the last state given to on_state (initially: disconnected)

  std::mutex stop_mu_;
  bool stopped_ = false;
  std::thread worker_;
};

}  // namespace dchat::broker
