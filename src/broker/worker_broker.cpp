// WorkerBroker: Broker calls forwarded to a BrokerWorker.
#include "broker/worker_broker.hpp"

#include <utility>

#include "broker/broker_worker.hpp"

namespace dchat::broker {

WorkerBroker::WorkerBroker(std::unique_ptr<BrokerWorker> worker) : worker_(std::move(worker)) {}

WorkerBroker::~WorkerBroker() { stop(); }

void WorkerBroker::start(MessageHandler on_message, StateHandler on_state) {
  if (worker_) worker_->start(std::move(on_message), std::move(on_state));
}

void WorkerBroker::stop() {
  if (worker_ && !worker_->stop()) {
    // The library may still call into it: never free it.
    (void)worker_.release();
  }
}

void WorkerBroker::publish(std::string channel, std::string payload) {
  if (worker_) worker_->publish(std::move(channel), std::move(payload));
}
void WorkerBroker::subscribe(std::string channel) {
  if (worker_) worker_->change(std::move(channel), true);
}
void WorkerBroker::unsubscribe(std::string channel) {
  if (worker_) worker_->change(std::move(channel), false);
}
bool WorkerBroker::connected() const { return worker_ && worker_->connected(); }
BrokerStats WorkerBroker::stats() const { return worker_ ? worker_->stats() : BrokerStats{}; }

}  // namespace dchat::broker
