// Runs the Broker contract against AmqpBroker: the shared RabbitMQ of scripts/services.sh
// (TEST_AMQP_URL), a free port for the unreachable case, and a private RabbitMQ node (own
// SERVICES_DIR, AMQP, distribution and epmd ports) for the restart tests.
#include <memory>
#include <string>

#include "broker/amqp_broker.hpp"
#include "broker_contract.hpp"

namespace dchat::broker::contract {
namespace {

class AmqpPrivateServer final : public PrivateServer {
 public:
  std::unique_ptr<Broker> make() override {
    return std::make_unique<AmqpBroker>("127.0.0.1", server_.port(0), "guest", "guest", "/");
  }
  void stop() override { server_.stop(); }
  void start() override { server_.start(); }

 private:
  ServicesScriptServer server_{"rabbitmq", {"AMQP_PORT", "RABBIT_DIST_PORT", "RABBIT_EPMD_PORT"}};
};

BrokerFactory amqp_factory() {
  BrokerFactory f;
  f.name = "Amqp";
  f.make = [] { return std::make_unique<AmqpBroker>(std::string_view(required_env("TEST_AMQP_URL"))); };
  f.make_unreachable = [] {
    return std::make_unique<AmqpBroker>("127.0.0.1", free_tcp_port(), "guest", "guest", "/");
  };
  f.private_server = [] { return std::make_unique<AmqpPrivateServer>(); };
  return f;
}

INSTANTIATE_TEST_SUITE_P(Amqp, BrokerContract, ::testing::Values(amqp_factory()), factory_name);

}  // namespace
}  // namespace dchat::broker::contract
