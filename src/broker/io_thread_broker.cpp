// IoThreadBroker: start() and stop() of the Brokers on a BrokerThread.
#include "broker/io_thread_broker.hpp"

#include <utility>

namespace dchat::broker {

void IoThreadBroker::start(MessageHandler on_message, StateHandler on_state) {
  thread_.start([this, on_message = std::move(on_message), on_state = std::move(on_state)]() mutable {
    on_message_ = std::move(on_message);
    on_state_ = std::move(on_state);
    connect();
  });
}

void IoThreadBroker::stop() {
  connected_ = false;
  thread_.stop([this] { shutdown(); });
}

}  // namespace dchat::broker
