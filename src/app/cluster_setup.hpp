#pragma once
// Cluster mode wiring (SCALABLE=true): the broker chosen by the configuration, the ClusterBus on
// it, and the adapter factory that gives every namespace a ClusterAdapter.
#include <memory>

#include "broker/broker.hpp"
#include "config/config.hpp"
#include "core/shard_pool.hpp"
#include "socketio/cluster_bus.hpp"
#include "socketio/server.hpp"

namespace dchat::app {

struct Cluster {
  std::unique_ptr<broker::Broker> broker;
  std::unique_ptr<socketio::ClusterBus> bus;
  ~Cluster();
};

// The broker config.broker names (config::load has validated the settings).
std::unique_ptr<broker::Broker> make_broker(const config::Config& config);

// Null when the configuration is not in cluster mode. The bus is started: it connects in the
// background, so a broker that is down delays nothing (readiness reports it).
std::unique_ptr<Cluster> start_cluster(const config::Config& config, core::ShardPool& pool);

socketio::Server::AdapterFactory cluster_adapters(Cluster& cluster, core::ShardPool& pool);

}  // namespace dchat::app
