#include "app/session_forwarding.hpp"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>

namespace dchat::app {

namespace {

engineio::Forwarder::Limits forward_limits(const config::Config& c, const engineio::Options& engine, size_t shards,
                                           size_t descriptors) {
  engineio::Forwarder::Limits limits;
  shards = std::max<size_t>(1, shards);
  limits.shards = shards;
  // Each forwarded request holds an upstream connection, and idle kept ones come out of the same
  // share: at most half of it.
  limits.max_idle_per_shard = std::clamp<size_t>(descriptors / (2 * shards), 1, limits.max_idle_per_shard);
  limits.max_idle_per_peer = std::min(limits.max_idle_per_peer, limits.max_idle_per_shard);
  const size_t kept = limits.max_idle_per_shard * shards;
  limits.max_in_flight = std::clamp<size_t>(descriptors > kept ? descriptors - kept : 1, 1, c.max_forwards);
  limits.max_per_client = c.max_sessions_per_client;
  if (limits.max_in_flight < c.max_forwards) {
    spdlog::warn("config: CHAT_MAX_FORWARDS={} is more than the descriptor limit leaves room for; {} at once",
                 c.max_forwards, limits.max_in_flight);
    // Few slots: one client must not take them all (two: a held long-poll and a POST).
    limits.max_per_client = std::min(limits.max_per_client, std::max<size_t>(2, limits.max_in_flight / 8));
  }
  // The owner answers a long-poll within a ping interval (it pings then); a WebSocket carries a
  // ping and a pong every interval. Beyond that and the ping timeout, the other side is gone.
  limits.idle_timeout = engine.ping_interval + engine.ping_timeout + std::chrono::seconds(5);
  limits.max_request_body = engine.max_payload;
  limits.max_response_body = std::max<uint64_t>(engine.max_payload, engine.max_outbox_bytes) + (1u << 20);
  return limits;
}

}  // namespace

std::string advertised_address(const std::string& configured) {
  if (!configured.empty()) {
    boost::system::error_code ec;
    const auto ip = boost::asio::ip::make_address(configured, ec);
    if (!ec) return ip.to_string();
    boost::asio::io_context io;
    boost::asio::ip::tcp::resolver resolver(io);
    const auto results = resolver.resolve(configured, "", ec);
    if (ec || results.empty())
      throw std::runtime_error("CHAT_ADVERTISE_ADDRESS=" + configured + " does not resolve: " + ec.message());
    return results.begin()->endpoint().address().to_string();
  }
  std::string v4, v6;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) == 0) {
    for (auto* a = list; a; a = a->ifa_next) {
      if (!a->ifa_addr || !(a->ifa_flags & IFF_UP) || (a->ifa_flags & IFF_LOOPBACK)) continue;
      if (a->ifa_addr->sa_family == AF_INET && v4.empty()) {
        const auto* in = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
        v4 = boost::asio::ip::address_v4(ntohl(in->sin_addr.s_addr)).to_string();
      } else if (a->ifa_addr->sa_family == AF_INET6 && v6.empty()) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(a->ifa_addr);
        boost::asio::ip::address_v6::bytes_type bytes;
        std::copy(std::begin(in6->sin6_addr.s6_addr), std::end(in6->sin6_addr.s6_addr), bytes.begin());
        const boost::asio::ip::address_v6 ip(bytes);
        if (!ip.is_link_local()) v6 = ip.to_string();
      }
    }
    ::freeifaddrs(list);
  }
  if (!v4.empty()) return v4;
  if (!v6.empty()) return v6;
  return "127.0.0.1";
}

SessionForwarding::SessionForwarding(const config::Config& config, core::ShardPool& pool, socketio::ClusterBus& bus,
                                     const engineio::ForwardingIdentity& identity,
                                     const engineio::Options& engine_options, const http::ConnectionPolicy& public_policy,
                                     size_t descriptors, const std::vector<Engine>& engines)
    : forwarder_(forward_limits(config, engine_options, pool.size(), descriptors)), peers_(bus) {
  for (const auto& engine : engines) {
    auto* server = engine.server;
    router_.prefix(engine.path, [server](http::RequestContext& ctx) { return server->handle_forwarded(ctx); });
    server->enable_forwarding(peers_, forwarder_);
  }
  // Only replicas connect here, each holding at most CHAT_MAX_FORWARDS: no per-client cap (a
  // peer is one address), no proxies (clients' addresses come in the forwarded headers, and
  // only with the key). A connection that does not send the key is answered and closed.
  policy_ = public_policy;
  policy_.proxies = {};
  policy_.max_connections = std::max<size_t>(1, descriptors);
  policy_.max_connections_per_client = policy_.max_connections;
  listener_ = std::make_unique<http::Listener>(pool, router_, policy_);
  listener_->listen(config.host, config.cluster_port);
  listener_->start();
  // Bound to HOST like the public listener; a specific HOST is also where peers reach it.
  boost::system::error_code ec;
  const auto bound = boost::asio::ip::make_address(config.host, ec);
  const bool specific = !ec && !bound.is_unspecified();
  const std::string address =
      config.advertise_address.empty() && specific ? bound.to_string() : advertised_address(config.advertise_address);
  peers_.start();
  bus.announce(socketio::ClusterPeers::announcement(identity, address, listener_->port()));
  spdlog::info("engine.io: session tag {} (requests for other replicas' sessions are forwarded to them; this "
               "replica's internal listener: {}:{})", identity.tag, address, listener_->port());
  spdlog::info("engine.io: forwarding: up to {} connections from other replicas, {} forwarded requests at once "
               "({} per client)", policy_.max_connections, forwarder_.max_in_flight(), forwarder_.max_per_client());
}

SessionForwarding::~SessionForwarding() = default;

}  // namespace dchat::app
