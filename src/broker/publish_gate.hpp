#pragma once
// The checks and counters every Broker implementation shares: a publish is refused (and counted
// in stats().dropped) when its channel is invalid, its payload larger than kMaxPayload, the
// broker is not connected, or the outgoing queue is full. The queue is bounded in messages and
// bytes; a message stays accounted from admit() until the connection has taken it (or failed it).
// Thread-safe: admit() runs on callers' threads, the rest on the broker's thread.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "broker/broker.hpp"

namespace dchat::broker {

class PublishGate {
 public:
  static constexpr size_t kMaxQueuedMessages = 10'000;
  static constexpr size_t kMaxQueuedBytes = 64 * 1024 * 1024;

  explicit PublishGate(std::string_view kind) : kind_(kind) {}

  // True when the message may be queued (it is then accounted until release()); false when it
  // was dropped (counted, and an invalid channel logged once).
  bool admit(std::string_view channel, size_t payload_size, bool connected);
  // True when `channel` may be subscribed to; logs an invalid one once (nothing is counted).
  bool check_channel(std::string_view channel);
  // The message left the queue: handed to the connection (sent = true) or failed there.
  void release(size_t payload_size, bool sent);
  // A queued message that could not be sent (the connection went down): counted as dropped.
  void drop_queued(size_t payload_size) { release(payload_size, false); }

  void count_received() { received_.fetch_add(1, std::memory_order_relaxed); }
  void count_reconnect() { reconnects_.fetch_add(1, std::memory_order_relaxed); }
  void count_dropped() { dropped_.fetch_add(1, std::memory_order_relaxed); }
  BrokerStats stats() const;

 private:
  void log_invalid(std::string_view channel);

  std::string kind_;
  std::atomic<size_t> queued_messages_{0};
  std::atomic<size_t> queued_bytes_{0};
  std::atomic<uint64_t> published_{0};
  std::atomic<uint64_t> received_{0};
  std::atomic<uint64_t> dropped_{0};
  std::atomic<uint64_t> reconnects_{0};
  std::atomic<bool> logged_invalid_{false};
};

}  // namespace dchat::broker
