#pragma once
// Broker over NATS core pub/sub (nats.c). Channel "a.b" travels on subject "dchat.a~b" ('.' is a
// token separator in NATS, so it is replaced by '~', which channel names never contain).
//
// Threads: publish/subscribe/unsubscribe only queue work (bounded) for the broker's own worker
// thread (broker_worker.hpp), which owns the natsConnection (connect, publish, one
// natsSubscription per channel).
// Messages arrive on nats.c's global delivery pool, connection events on its callback thread;
// both reach the handlers through one gate, so handlers never run concurrently and never after
// stop() returns. nats.c reconnects forever with our capped exponential backoff (100 ms .. 5 s)
// and resends the subscriptions itself; its reconnect buffer is tiny, so publishes made while
// disconnected fail (counted as dropped) instead of being replayed late.
//
// The library itself (nats_Open's global state) is never closed: other code in the process may
// use nats.c too, and nats_Close would pull it from under them. It is released at process exit.
#include <string>
#include <string_view>

#include "broker/worker_broker.hpp"

namespace dchat::broker {

class NatsBroker final : public WorkerBroker {
 public:
  // url: "nats://host:port" (a comma-separated list of servers is accepted too).
  explicit NatsBroker(std::string url);

  std::string_view kind() const override { return "nats"; }
};

}  // namespace dchat::broker
