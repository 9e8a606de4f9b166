#pragma once
// A message broker between replicas: publish bytes on a named channel, receive what is published
// on the channels this replica subscribed to. One implementation per file (Redis pub/sub, NATS,
// RabbitMQ, PostgreSQL LISTEN/NOTIFY, in-process); the cluster adapter and cluster presence are
// built on this interface only, so they never know which broker carries their traffic.
//
// Contract (tests/broker/broker_contract.hpp checks it against every implementation):
// - channel names are 1..120 characters of [a-z0-9._-]; payloads are any bytes (NUL included),
//   up to kMaxPayload;
// - a subscriber receives every message published on its channels while both sides are
//   connected, its own messages included, in the order one Broker object published them on
//   that channel;
// - publish/subscribe/unsubscribe are thread-safe and never block the caller (no network
//   round trip on the caller's thread): they queue work for the broker's own thread(s);
// - subscriptions are remembered and restored after a reconnect; messages published while the
//   connection is down are dropped (counted in stats()), never queued without bound: the store
//   is the source of truth and clients fill gaps from it;
// - the connection is retried with capped exponential backoff; on_state(true/false) reports
//   each change;
// - handlers run on a broker thread and must not block; no handler runs after stop() returns.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace dchat::broker {

inline constexpr size_t kMaxPayload = 1024 * 1024;

struct BrokerStats {
  uint64_t published = 0;  // handed to the broker connection
  uint64_t received = 0;   // delivered to the message handler
  uint64_t dropped = 0;    // publishes refused: disconnected, queue full or payload too large
  uint64_t reconnects = 0; // successful connections after the first
};

class Broker {
 public:
  using MessageHandler = std::function<void(std::string_view channel, std::string_view payload)>;
  using StateHandler = std::function<void(bool connected)>;

  virtual ~Broker() = default;

  // Connects (in the background) and starts delivering. Called once.
  virtual void start(MessageHandler on_message, StateHandler on_state) = 0;
  // Stops delivering, closes the connection and joins the broker's threads. Idempotent.
  virtual void stop() = 0;

  virtual void publish(std::string channel, std::string payload) = 0;
  virtual void subscribe(std::string channel) = 0;    // idempotent
  virtual void unsubscribe(std::string channel) = 0;  // idempotent

  virtual bool connected() const = 0;
  virtual BrokerStats stats() const = 0;
  // "redis", "nats", "amqp", "postgres" or "local": for logs, /readyz and /metrics.
  virtual std::string_view kind() const = 0;
};

// True when `channel` follows the naming rule above.
bool valid_channel(std::string_view channel);

}  // namespace dchat::broker
