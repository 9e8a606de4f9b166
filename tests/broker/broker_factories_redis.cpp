// The Broker contract run against RedisBroker: the shared test Redis (TEST_REDIS_URL), a free
// port for the unreachable test, and a private redis-server for the reconnect tests.
#include <boost/url/parse.hpp>

#include "broker/redis_broker.hpp"
#include "broker_contract.hpp"

namespace dchat::broker::contract {
namespace {

std::unique_ptr<Broker> shared_redis() {
  const std::string url = required_env("TEST_REDIS_URL");
  auto u = boost::urls::parse_uri(url);
  if (!u || u->host().empty() || u->port().empty()) throw std::runtime_error("bad TEST_REDIS_URL: " + url);
  return std::make_unique<RedisBroker>(std::string(u->host()), static_cast<int>(u->port_number()));
}

class PrivateRedis : public PrivateServer {
 public:
  std::unique_ptr<Broker> make() override { return std::make_unique<RedisBroker>("127.0.0.1", server_.port()); }
  void stop() override { server_.stop(); }
  void start() override { server_.start(); }

 private:
  ServicesScriptServer server_{"redis", {"REDIS_PORT"}};
};

BrokerFactory redis_factory() {
  return {"Redis", shared_redis, [] { return std::make_unique<RedisBroker>("127.0.0.1", free_tcp_port()); },
          [] { return std::make_unique<PrivateRedis>(); }};
}

INSTANTIATE_TEST_SUITE_P(Redis, BrokerContract, ::testing::Values(redis_factory()), factory_name);

}  // namespace
}  // namespace dchat::broker::contract
