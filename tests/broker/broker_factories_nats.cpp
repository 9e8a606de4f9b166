// Runs the Broker contract against NatsBroker: the shared NATS server of scripts/services.sh
// (TEST_NATS_URL), a free port for the unreachable case, and a private nats-server (own
// SERVICES_DIR and ports) for the restart tests.
#include <memory>
#include <string>

#include "broker/nats_broker.hpp"
#include "broker_contract.hpp"

namespace dchat::broker::contract {
namespace {

class NatsPrivateServer final : public PrivateServer {
 public:
  std::unique_ptr<Broker> make() override {
    return std::make_unique<NatsBroker>("nats://127.0.0.1:" + std::to_string(server_.port(0)));
  }
  void stop() override { server_.stop(); }
  void start() override { server_.start(); }

 private:
  ServicesScriptServer server_{"nats", {"NATS_PORT", "NATS_MONITOR_PORT"}};
};

BrokerFactory nats_factory() {
  BrokerFactory f;
  f.name = "Nats";
  f.make = [] { return std::make_unique<NatsBroker>(required_env("TEST_NATS_URL")); };
  f.make_unreachable = [] {
    return std::make_unique<NatsBroker>("nats://127.0.0.1:" + std::to_string(free_tcp_port()));
  };
  f.private_server = [] { return std::make_unique<NatsPrivateServer>(); };
  return f;
}

INSTANTIATE_TEST_SUITE_P(Nats, BrokerContract, ::testing::Values(nats_factory()), factory_name);

}  // namespace
}  // namespace dchat::broker::contract
