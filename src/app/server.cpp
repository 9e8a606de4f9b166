#include "app/server.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <sys/resource.h>

#include <csignal>

#include "app/apps.hpp"
#include "app/early_stop.hpp"

namespace dchat::app {

namespace {

// Descriptors: the soft limit is raised to the hard one (a container's default soft limit of
// 1024 would cap the chat at a few hundred users). Connections may use all but a reserve kept
// for the database, the broker, files and the spare descriptor of the listener.
size_t descriptors_for_connections(const config::Config& c) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
    ::getrlimit(RLIMIT_NOFILE, &limit);
  }
  const size_t reserve = 64 + 4 * c.store_threads;
  const size_t fds = limit.rlim_cur == RLIM_INFINITY ? 1000000 : static_cast<size_t>(limit.rlim_cur);
  return fds > 2 * reserve ? fds - reserve : fds / 2;
}

bool forwards_sessions(const config::Config& c) { return c.scalable && c.session_forwarding; }

}  // namespace

// Clients' connections get every descriptor there is for connections, or half of them when
// sessions are forwarded: a forwarded request holds one more descriptor on each side of the hop
// (its upstream connection here, its connection to the owner's internal listener there), and
// each of those gets a quarter (SessionForwarding).
Server::DescriptorShares Server::share_descriptors(const config::Config& c) {
  const size_t descriptors = descriptors_for_connections(c);
  if (!forwards_sessions(c)) return {descriptors, 0};
  return {descriptors / 2, descriptors / 4};
}

namespace {

size_t connection_capacity(const config::Config& c, const Server::DescriptorShares& shares) {
  if (c.max_connections == 0) return shares.clients;
  // Honoured as set (the listener survives running out of descriptors), but said.
  if (c.max_connections > shares.clients)
    spdlog::warn("config: CHAT_MAX_CONNECTIONS={} is more than the descriptor limit leaves room for ({}{})",
                 c.max_connections, shares.clients,
                 shares.forwarding ? ", half of them, with session forwarding on" : "");
  return c.max_connections;
}

http::ConnectionPolicy connection_policy(const config::Config& c, const Server::DescriptorShares& shares) {
  std::string error;
  const auto proxies = http::TrustedProxies::parse(c.trusted_proxies, error);
  if (!proxies) throw InvalidConfig("CHAT_TRUSTED_PROXIES: " + error);
  http::ConnectionPolicy p;
  p.proxies = *proxies;
  p.max_connections = connection_capacity(c, shares);
  p.max_connections_per_client = c.max_connections_per_client;
  p.header_timeout = std::chrono::milliseconds(c.header_timeout_ms);
  return p;
}

engineio::Options engine_options(const config::Config& c, const http::ConnectionPolicy& policy,
                                 const Server::DescriptorShares& shares, const engineio::ForwardingIdentity& identity) {
  engineio::Options o;
  o.session_tag = identity.tag;
  if (c.scalable && c.session_forwarding) o.forward_key = identity.key;
  o.ping_interval = std::chrono::milliseconds(c.ping_interval_ms);
  o.ping_timeout = std::chrono::milliseconds(c.ping_timeout_ms);
  o.max_payload = c.max_payload;
  o.max_outbox_packets = c.max_outbox_packets;
  o.max_outbox_bytes = c.max_outbox_bytes;
  o.allowed_origins = c.allowed_origins;
  o.max_sessions_per_client = c.max_sessions_per_client;
  // Sessions come over clients' connections and, forwarded, over other replicas' (their share).
  o.max_sessions = policy.max_connections + shares.forwarding;
  return o;
}

http::RouteHandler engine_route(engineio::Server& engine) {
  return [&engine](http::RequestContext& ctx) { return engine.handle(ctx); };
}

}  // namespace

Server::StopClusterFirst::~StopClusterFirst() {
  if (cluster) cluster->bus->stop();
}

Server::Server(const config::Config& config, const std::string& exe_dir)
    : config_(config),
      pool_(config.threads ? config.threads : core::ShardPool::available_cpus()),
      descriptors_(share_descriptors(config)),
      policy_(connection_policy(config, descriptors_)),
      identity_(engineio::ForwardingIdentity::generate()),
      engine_options_(engine_options(config, policy_, descriptors_, identity_)),
      cluster_(start_cluster(config, pool_)),
      io_(pool_, engine_options_, std::chrono::milliseconds(config.connect_timeout_ms),
          cluster_ ? cluster_adapters(*cluster_, pool_) : socketio::Server::AdapterFactory{}),
      stop_cluster_first_{cluster_.get()} {
  install_handlers(exe_dir);
  start_forwarding();
  operations_ = std::make_unique<Operations>(pool_, io_.engine(), chat_.get(), cluster_.get(), config_.metrics_token);
  if (forwarding_) operations_->set_forwarder(&forwarding_->forwarder());
  operations_->install(router_);
  operations_->start();
  listener_ = std::make_unique<http::Listener>(pool_, router_, policy_);
  listener_->listen(config_.host, config_.port);
  listener_->start();
}

Server::~Server() = default;

// What the mode serves on top of /socket.io/ (and the operations endpoints).
void Server::install_handlers(const std::string& exe_dir) {
  router_.prefix("/socket.io/", engine_route(io_.engine()));
  switch (config_.mode) {
    case config::Mode::conformance:
      install_conformance(io_);
      echo_ = make_echo_engine(pool_, engine_options_);
      router_.prefix("/engine.io/", engine_route(*echo_));
      break;
    case config::Mode::bench:
      install_bench(io_);
      break;
    case config::Mode::chat:
    case config::Mode::health_check:  // main answers it without a server; never reaches here
      chat_ = std::make_unique<ChatApp>(config_, io_, router_, exe_dir, pool_, cluster_.get());
      break;
  }
}

void Server::start_forwarding() {
  if (!cluster_ || engine_options_.forward_key.empty()) return;
  std::vector<SessionForwarding::Engine> engines{{"/socket.io/", &io_.engine()}};
  if (echo_) engines.push_back({"/engine.io/", echo_.get()});
  forwarding_ = std::make_unique<SessionForwarding>(config_, pool_, *cluster_->bus, identity_, engine_options_, policy_,
                                                    descriptors_.forwarding, engines);
}

const char* Server::mode_name() const noexcept {
  switch (config_.mode) {
    case config::Mode::conformance: return "conformance";
    case config::Mode::bench: return "bench";
    default: return "chat";
  }
}

void Server::handle_stop_signals() {
  signals_ = std::make_unique<boost::asio::signal_set>(pool_.context(0), SIGINT, SIGTERM);
  auto on_signal = std::make_shared<std::function<void(boost::system::error_code, int)>>();
  // The handler holds itself weakly: the pending wait owns it, so nothing leaks at exit.
  *on_signal = [this, self = std::weak_ptr(on_signal)](boost::system::error_code ec, int sig) {
    const auto again = self.lock();
    if (ec || !again) return;
    if (operations_->draining()) spdlog::warn("chatd: signal {} again, stopping now", sig);
    else spdlog::info("chatd: signal {} received, draining", sig);
    begin_drain();
    signals_->async_wait([again](boost::system::error_code e, int s) { (*again)(e, s); });
  };
  signals_->async_wait([on_signal](boost::system::error_code e, int s) { (*on_signal)(e, s); });
  // A stop requested while starting, after the start-up waits and before the line above:
  // asio's handler is installed now, so asking again starts the drain.
  if (early_stop_requested()) std::raise(SIGTERM);
}

void Server::begin_drain() {
  if (operations_->draining()) return pool_.stop();
  if (echo_) echo_->close_all(engineio::CloseReason::server_shutdown);
  operations_->drain(*listener_, std::chrono::milliseconds(config_.drain_delay_ms),
                     std::chrono::milliseconds(config_.shutdown_grace_ms), [this] { pool_.stop(); });
}

void Server::drain() {
  boost::asio::post(pool_.context(0), [this] { begin_drain(); });
}

void Server::stop() { pool_.stop(); }

void Server::run() {
  spdlog::info("chatd: {} mode, listening on http://{}:{} with {} event loop(s), up to {} connections", mode_name(),
               config_.host, listener_->port(), pool_.size(), policy_.max_connections);
  pool_.run();
  // No broker message may reach the namespaces once they start going away.
  if (cluster_) cluster_->bus->stop();
  spdlog::info("chatd: stopped");
}

}  // namespace dchat::app
