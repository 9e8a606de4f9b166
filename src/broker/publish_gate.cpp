// PublishGate: the refusal rules and counters shared by the Broker implementations.
#include "broker/publish_gate.hpp"

#include <spdlog/spdlog.h>

#include <iterator>

namespace dchat::broker {

bool PublishGate::admit(std::string_view channel, size_t payload_size, bool connected) {
  if (!valid_channel(channel)) {
    log_invalid(channel);
    count_dropped();
    return false;
  }
  if (payload_size > kMaxPayload || !connected) {
    count_dropped();
    if (warn_refusals_) {
      if (payload_size > kMaxPayload)
        warn_once(Warning::too_large, channel);
      else
        warn_once(Warning::disconnected, channel);
    }
    return false;
  }
  // Reserve a place; give it back when the queue turns out to be full.
  const size_t messages = queued_messages_.fetch_add(1, std::memory_order_relaxed);
  const size_t bytes = queued_bytes_.fetch_add(payload_size, std::memory_order_relaxed);
  if (messages >= max_queued_messages_ || bytes + payload_size > kMaxQueuedBytes) {
    discard_queued(payload_size);
    count_dropped();
    if (warn_refusals_) warn_once(Warning::queue_full, channel);
    return false;
  }
  return true;
}

bool PublishGate::check_channel(std::string_view channel) {
  if (valid_channel(channel)) return true;
  log_invalid(channel);
  return false;
}

void PublishGate::discard_queued(size_t payload_size) {
  queued_messages_.fetch_sub(1, std::memory_order_relaxed);
  queued_bytes_.fetch_sub(payload_size, std::memory_order_relaxed);
}

void PublishGate::release(size_t payload_size, bool sent) {
  discard_queued(payload_size);
  if (sent)
    published_.fetch_add(1, std::memory_order_relaxed);
  else
    count_dropped();
}

BrokerStats PublishGate::stats() const {
  BrokerStats s;
  s.published = published_.load(std::memory_order_relaxed);
  s.received = received_.load(std::memory_order_relaxed);
  s.dropped = dropped_.load(std::memory_order_relaxed);
  s.reconnects = reconnects_.load(std::memory_order_relaxed);
  return s;
}

void PublishGate::warn_once(Warning w, std::string_view detail) {
  static constexpr const char* kText[] = {
      "payload larger than kMaxPayload dropped",
      "not connected, publishes are dropped",
      "publish queue full, publishes are dropped",
      "publish failed, dropped",
      "asynchronous error (e.g. slow consumer: messages lost)",
  };
  static_assert(std::size(kText) == static_cast<size_t>(Warning::count_));
  if (warned_[static_cast<size_t>(w)].exchange(true)) return;
  spdlog::warn("{} broker: {}: {} (logged once)", kind_, kText[static_cast<size_t>(w)], detail.substr(0, 130));
}

void PublishGate::log_invalid(std::string_view channel) {
  if (logged_invalid_.exchange(true)) return;
  // Capped: a bad name may be arbitrarily long.
  spdlog::warn("{} broker: invalid channel name \"{}\" ignored (1..120 of [a-z0-9._-]; logged once)", kind_,
               channel.substr(0, 128));
}

}  // namespace dchat::broker
