#pragma once
// The checks and counters every Broker implementation shares: a publish is refused (and counted
// in stats().dropped) when its channel is invalid, its payload larger than kMaxPayload, the
// broker is not connected, or the outgoing queue is full. The queue is bounded in messages and
// bytes; a message stays accounted from admit() until the connection has taken it (or failed it).
// Thread-safe (atomics only): admit() runs on callers' threads, the rest on the broker's thread(s).
// The message limit is the broker's choice (a bound on its own queue); the byte limit is shared.
#include <array>
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

  // Events logged once (until rearm()). Refusals are logged only by a gate built with
  // warn_refusals; the broker reports the other events itself through warn_once().
  enum class Warning { too_large, disconnected, queue_full, send_failed, async_error, count_ };

  explicit PublishGate(std::string_view kind, size_t max_queued_messages = kMaxQueuedMessages,
                       bool warn_refusals = false)
      : kind_(kind), max_queued_messages_(max_queued_messages), warn_refusals_(warn_refusals) {}

  // True when the message may be queued (it is then accounted until release()); false when it
  // was dropped (counted, and an invalid channel logged once).
  bool admit(std::string_view channel, size_t payload_size, bool connected);
  // True when `channel` may be subscribed to; logs an invalid one once (nothing is counted).
  bool check_channel(std::string_view channel);
  // The message left the queue: handed to the connection (sent = true) or failed there.
  void release(size_t payload_size, bool sent);
  // A queued message that could not be sent (the connection went down): counted as dropped.
  void drop_queued(size_t payload_size) { release(payload_size, false); }
  // A queued message discarded without a verdict (stopping, or lost with a batch): not counted.
  void discard_queued(size_t payload_size);

  void count_received() { received_.fetch_add(1, std::memory_order_relaxed); }
  void count_reconnect() { reconnects_.fetch_add(1, std::memory_order_relaxed); }
  void count_dropped() { dropped_.fetch_add(1, std::memory_order_relaxed); }
  BrokerStats stats() const;

  void warn_once(Warning w, std::string_view detail);
  void rearm(Warning w) { warned_[static_cast<size_t>(w)].store(false, std::memory_order_relaxed); }

 private:
  void log_invalid(std::string_view channel);

  std::string kind_;
  const size_t max_queued_messages_;
  const bool warn_refusals_;
  std::atomic<size_t> queued_messages_{0};
  std::atomic<size_t> queued_bytes_{0};
  std::atomic<uint64_t> published_{0};
  std::atomic<uint64_t> received_{0};
  std::atomic<uint64_t> dropped_{0};
  std::atomic<uint64_t> reconnects_{0};
  std::atomic<bool> logged_invalid_{false};
  std::array<std::atomic<bool>, static_cast<size_t>(Warning::count_)> warned_{};
};

}  // namespace dchat::broker
