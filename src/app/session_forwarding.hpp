#pragma once
// Cluster mode without sticky sessions (issue #14, engineio/forwarding.hpp): the internal
// listener other replicas forward requests to, the directory of their announcements, and the
// forwarder this replica's engines pass foreign sessions' requests to.
#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "core/shard_pool.hpp"
#include "engineio/forwarder.hpp"
#include "engineio/server.hpp"
#include "http/connection_policy.hpp"
#include "http/listener.hpp"
#include "http/router.hpp"
#include "socketio/cluster_bus.hpp"
#include "socketio/cluster_peers.hpp"

namespace dchat::app {

class SessionForwarding {
 public:
  struct Engine {
    std::string path;  // e.g. "/socket.io/"
    engineio::Server* server;
  };
  // Listens on config.host:config.cluster_port, announces it on `bus`, and lets every engine
  // forward. The engines' options must carry `identity`'s tag and key. `descriptors` is what the
  // internal listener's connections may use, and as much what upstream connections may.
  SessionForwarding(const config::Config& config, core::ShardPool& pool, socketio::ClusterBus& bus,
                    const engineio::ForwardingIdentity& identity, const engineio::Options& engine_options,
                    const http::ConnectionPolicy& public_policy, size_t descriptors,
                    const std::vector<Engine>& engines);
  ~SessionForwarding();

  uint16_t port() const { return listener_->port(); }
  engineio::Forwarder& forwarder() noexcept { return forwarder_; }
  void stop() { listener_->stop(); }

 private:
  engineio::Forwarder forwarder_;
  socketio::ClusterPeers peers_;
  http::Router router_;
  http::ConnectionPolicy policy_;
  std::unique_ptr<http::Listener> listener_;
};

// The address other replicas reach this one at: CHAT_ADVERTISE_ADDRESS (an IP, or a name
// resolved once now), else HOST when it is a specific address, else the first non-loopback IPv4 address of an interface that is up (a
// container's or pod's own), else the first such IPv6 one, else 127.0.0.1 (replicas on one host).
std::string advertised_address(const std::string& configured);

}  // namespace dchat::app
