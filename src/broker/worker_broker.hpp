#pragma once
// The public face of the brokers whose connection lives on a BrokerWorker (NATS, RabbitMQ):
// every Broker call goes to the worker. When stopping finds that the client library may still
// call into the worker, the worker is leaked on purpose (bounded, logged by it) rather than freed
// under a running callback.
#include <memory>
#include <string>

#include "broker/broker.hpp"

namespace dchat::broker {

class BrokerWorker;

class WorkerBroker : public Broker {
 public:
  ~WorkerBroker() override;  // stops
  WorkerBroker(const WorkerBroker&) = delete;
  WorkerBroker& operator=(const WorkerBroker&) = delete;

  void start(MessageHandler on_message, StateHandler on_state) final;
  void stop() final;

  void publish(std::string channel, std::string payload) final;
  void subscribe(std::string channel) final;
  void unsubscribe(std::string channel) final;

  bool connected() const final;
  BrokerStats stats() const final;

 protected:
  explicit WorkerBroker(std::unique_ptr<BrokerWorker> worker);

 private:
  std::unique_ptr<BrokerWorker> worker_;
};

}  // namespace dchat::broker
