// The Broker contract run against LocalBroker: every broker joins the process-wide hub, as replicas
// would share a server. No server, so no unreachable/restart tests.
#include "broker/local_broker.hpp"
#include "broker_contract.hpp"

namespace dchat::broker::contract {
namespace {

BrokerFactory local_factory() {
  // The process-wide hub: channel names are unique per test, so tests do not see each other.
  return {"Local", [] { return std::make_unique<LocalBroker>(); }, nullptr, nullptr};
}

INSTANTIATE_TEST_SUITE_P(Local, BrokerContract, ::testing::Values(local_factory()), factory_name);

}  // namespace
}  // namespace dchat::broker::contract
