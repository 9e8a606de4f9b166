#pragma once
// The in-process Broker: for a single replica (no server needed) and for tests. LocalBroker
// objects attached to the same LocalHub reach each other as replicas would through a server; by
// default they all share one process-wide hub. Each broker delivers on its own thread, in the
// order messages were published.
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "broker/gated_broker.hpp"

namespace dchat::broker {

class LocalHub;

class LocalBroker final : public GatedBroker {
 public:
  // Joins the process-wide hub.
  LocalBroker();
  // Joins `hub` (brokers on other hubs never see each other's messages).
  explicit LocalBroker(std::shared_ptr<LocalHub> hub);
  ~LocalBroker() override;

  // A new hub, separate from the process-wide one.
  static std::shared_ptr<LocalHub> make_hub();

  void start(MessageHandler on_message, StateHandler on_state) override;
  void stop() override;
  void publish(std::string channel, std::string payload) override;
  void subscribe(std::string channel) override;
  void unsubscribe(std::string channel) override;

  struct Inbox;  // the delivery side the hub posts to (an implementation detail)

 private:
  std::shared_ptr<LocalHub> hub_;
  std::shared_ptr<Inbox> inbox_;
  // connected_: from start() to stop() (nothing to connect to).
  std::mutex lifecycle_mu_;
  bool started_ = false;
  bool stopped_ = false;
  std::thread thread_;
};

}  // namespace dchat::broker
