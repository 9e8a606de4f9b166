#pragma once
// What a Broker that keeps its own PublishGate shares (RedisBroker, PgNotifyBroker through
// IoThreadBroker, and LocalBroker): the gate (refusals and counters, the source of stats()), the
// connected flag its publishes are admitted against, and its kind.
#include <atomic>
#include <cstddef>
#include <string_view>

#include "broker/broker.hpp"
#include "broker/publish_gate.hpp"

namespace dchat::broker {

class GatedBroker : public Broker {
 public:
  bool connected() const final { return connected_.load(); }
  BrokerStats stats() const final { return gate_.stats(); }
  std::string_view kind() const final { return kind_; }

 protected:
  // kind: a string literal ("redis", ...): kind() returns a view of it.
  explicit GatedBroker(std::string_view kind) : kind_(kind), gate_(kind) {}

  const std::string_view kind_;
  PublishGate gate_;
  std::atomic<bool> connected_{false};
};

}  // namespace dchat::broker
