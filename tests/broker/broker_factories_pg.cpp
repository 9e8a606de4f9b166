// The Broker contract run against PgNotifyBroker: the shared test PostgreSQL (TEST_DATABASE_URL),
// a free port for the unreachable test, and a private PostgreSQL cluster for the reconnect tests.
#include "broker/pg_notify_broker.hpp"
#include "broker_contract.hpp"

namespace dchat::broker::contract {
namespace {

std::string local_url(int port) { return "postgres://postgres@127.0.0.1:" + std::to_string(port) + "/postgres"; }

class PrivatePostgres : public PrivateServer {
 public:
  std::unique_ptr<Broker> make() override { return std::make_unique<PgNotifyBroker>(local_url(server_.port())); }
  void stop() override { server_.stop(); }
  void start() override { server_.start(); }

 private:
  ServicesScriptServer server_{"postgres", {"PG_PORT"}};
};

BrokerFactory pg_factory() {
  return {"Postgres", [] { return std::make_unique<PgNotifyBroker>(required_env("TEST_DATABASE_URL")); },
          [] { return std::make_unique<PgNotifyBroker>(local_url(free_tcp_port())); },
          [] { return std::make_unique<PrivatePostgres>(); }};
}

INSTANTIATE_TEST_SUITE_P(Postgres, BrokerContract, ::testing::Values(pg_factory()), factory_name);

// The NOTIFY channel names: within PostgreSQL's 63-byte identifier limit, distinct for distinct
// channels, and stable.
TEST(PgNotifyChannel, FitsTheIdentifierLimit) {
  EXPECT_EQ(PgNotifyBroker::notify_channel("room.1"), "dchat.room.1");
  const std::string a(120, 'a'), b = std::string(119, 'a') + "b";
  EXPECT_LE(PgNotifyBroker::notify_channel(a).size(), 63u);
  EXPECT_LE(PgNotifyBroker::notify_channel(std::string(58, 'x')).size(), 63u);
  EXPECT_EQ(PgNotifyBroker::notify_channel(std::string(57, 'x')), "dchat." + std::string(57, 'x'));
  EXPECT_NE(PgNotifyBroker::notify_channel(a), PgNotifyBroker::notify_channel(b));
  EXPECT_EQ(PgNotifyBroker::notify_channel(a), PgNotifyBroker::notify_channel(a));
}

}  // namespace
}  // namespace dchat::broker::contract
