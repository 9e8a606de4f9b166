#pragma once
// The base of the Brokers driven by one io_context on a thread of their own (RedisBroker,
// PgNotifyBroker): the BrokerThread, the handlers, and start()/stop() around the subclass's
// connect() and shutdown(). The handlers belong to the broker thread: start() stores them there,
// before connecting. Subclasses call stop() in their destructor (shutdown() is theirs).
#include <string_view>

#include "broker/broker_thread.hpp"
#include "broker/gated_broker.hpp"

namespace dchat::broker {

class IoThreadBroker : public GatedBroker {
 public:
  void start(MessageHandler on_message, StateHandler on_state) final;
  // shutdown() on the broker thread, then the thread joined: run() returns once the last
  // handler has run. Idempotent.
  void stop() final;

 protected:
  explicit IoThreadBroker(std::string_view kind) : GatedBroker(kind) {}

  // On the broker thread: the first handler after start(), and the last before it is joined
  // (free the connections so that their fds leave the reactor, cancel the timers).
  virtual void connect() = 0;
  virtual void shutdown() = 0;

  BrokerThread thread_;  // before the subclasses' timers, which use its io_context
  // Broker thread only.
  MessageHandler on_message_;
  StateHandler on_state_;
};

}  // namespace dchat::broker
