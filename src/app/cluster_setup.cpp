#include "app/cluster_setup.hpp"

#include <unistd.h>

#include <spdlog/spdlog.h>

#include "broker/amqp_broker.hpp"
#include "broker/local_broker.hpp"
#include "broker/nats_broker.hpp"
#include "broker/pg_notify_broker.hpp"
#include "broker/redis_broker.hpp"
#include "socketio/cluster_adapter.hpp"

namespace dchat::app {

Cluster::~Cluster() {
  if (bus) bus->stop();
}

std::unique_ptr<broker::Broker> make_broker(const config::Config& c) {
  if (c.broker == "redis") return std::make_unique<broker::RedisBroker>(c.redis_host, c.redis_port);
  if (c.broker == "nats") return std::make_unique<broker::NatsBroker>(fmt::format("nats://{}:{}", c.nats_host, c.nats_port));
  if (c.broker == "amqp")
    return std::make_unique<broker::AmqpBroker>(c.rabbit_host, c.rabbit_port, c.rabbit_user, c.rabbit_password,
                                                c.rabbit_vhost);
  if (c.broker == "postgres") return std::make_unique<broker::PgNotifyBroker>(c.database_url);
  if (c.broker == "local") return std::make_unique<broker::LocalBroker>();
  throw std::invalid_argument("unknown broker " + c.broker);
}

std::unique_ptr<Cluster> start_cluster(const config::Config& config, core::ShardPool& pool) {
  if (!config.scalable) return nullptr;
  auto cluster = std::make_unique<Cluster>();
  cluster->broker = make_broker(config);
  socketio::ClusterBus::Options options;
  options.heartbeat = std::chrono::milliseconds(config.cluster_heartbeat_ms);
  options.node_name = config.replica_name;
  if (options.node_name.empty()) {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) == 0) options.node_name = host;
  }
  cluster->bus = std::make_unique<socketio::ClusterBus>(*cluster->broker, pool.context(0), options);
  cluster->bus->start();
  return cluster;
}

socketio::Server::AdapterFactory cluster_adapters(Cluster& cluster, core::ShardPool& pool) {
  return [&cluster, &pool](const std::string& nsp) -> std::unique_ptr<socketio::Adapter> {
    return std::make_unique<socketio::ClusterAdapter>(nsp, *cluster.bus, pool);
  };
}

}  // namespace dchat::app
