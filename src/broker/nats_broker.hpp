#pragma once
// Broker over NATS core pub/sub (nats.c). Channel "a.b" travels on subject "dchat.a~b" ('.' is a
// token separator in NATS, so it is replaced by '~', which channel names never contain).
//
// Threads: publish/subscribe/unsubscribe only queue work (bounded) for the broker's own worker
// thread, which owns the natsConnection (connect, publish, one natsSubscription per channel).
// Messages arrive on nats.c's global delivery pool, connection events on its callback thread;
// both reach the handlers through one gate, so handlers never run concurrently and never after
// stop() returns. nats.c reconnects forever with our capped exponential backoff (100 ms .. 5 s)
// and resends the subscriptions itself; its reconnect buffer is tiny, so publishes made while
// disconnected fail (counted as dropped) instead of being replayed late.
//
// The library itself (nats_Open's global state) is never closed: other code in the process may
// use nats.c too, and nats_Close would pull it from under them. It is released at process exit.
#include <memory>
#include <string>
#include <string_view>

#include "broker/broker.hpp"

namespace dchat::broker {

class NatsBroker final : public Broker {
 public:
  // url: "nats://host:port" (a comma-separated list of servers is accepted too).
  explicit NatsBroker(std::string url);
  ~NatsBroker() override;
  NatsBroker(const NatsBroker&) = delete;
  NatsBroker& operator=(const NatsBroker&) = delete;

  void start(MessageHandler on_message, StateHandler on_state) override;
  void stop() override;

  void publish(std::string channel, std::string payload) override;
  void subscribe(std::string channel) override;
  void unsubscribe(std::string channel) override;

  bool connected() const override;
  BrokerStats stats() const override;
  std::string_view kind() const override { return "nats"; }

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace dchat::broker
