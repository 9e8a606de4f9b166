// chatd: wires configuration, the event loops, the HTTP router and the Socket.IO server.
#include <boost/asio/signal_set.hpp>
#include <fmt/format.h>

#include <sys/resource.h>

#include <csignal>

#include <filesystem>
#include <spdlog/spdlog.h>

#include "app/apps.hpp"
#include "app/chat_app.hpp"
#include "app/cluster_setup.hpp"
#include "app/early_stop.hpp"
#include "app/health_check.hpp"
#include "app/operations.hpp"
#include "config/config.hpp"
#include "core/logging.hpp"
#include "core/shard_pool.hpp"
#include "http/listener.hpp"
#include "http/responses.hpp"

using namespace dchat;

namespace {

// Descriptors: the soft limit is raised to the hard one (a container's default soft limit of
// 1024 would cap the chat at a few hundred users). Connections may use all but a reserve kept
// for the database, the broker, files and the spare descriptor of the listener.
size_t connection_capacity(const config::Config& c) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
    ::getrlimit(RLIMIT_NOFILE, &limit);
  }
  const size_t reserve = 64 + 4 * c.store_threads;
  const size_t fds = limit.rlim_cur == RLIM_INFINITY ? 1000000 : static_cast<size_t>(limit.rlim_cur);
  const size_t available = fds > 2 * reserve ? fds - reserve : fds / 2;
  if (c.max_connections == 0) return available;
  // Honoured as set (the listener survives running out of descriptors), but said.
  if (c.max_connections > available)
    spdlog::warn("config: CHAT_MAX_CONNECTIONS={} is more than the descriptor limit ({}) leaves room for ({})",
                 c.max_connections, fds, available);
  return c.max_connections;
}

http::ConnectionPolicy connection_policy(const config::Config& c, const http::TrustedProxies& proxies) {
  http::ConnectionPolicy p;
  p.proxies = proxies;
  p.max_connections = connection_capacity(c);
  p.max_connections_per_client = c.max_connections_per_client;
  p.header_timeout = std::chrono::milliseconds(c.header_timeout_ms);
  return p;
}

engineio::Options engine_options(const config::Config& c) {
  engineio::Options o;
  o.ping_interval = std::chrono::milliseconds(c.ping_interval_ms);
  o.ping_timeout = std::chrono::milliseconds(c.ping_timeout_ms);
  o.max_payload = c.max_payload;
  o.max_outbox_packets = c.max_outbox_packets;
  o.max_outbox_bytes = c.max_outbox_bytes;
  o.allowed_origins = c.allowed_origins;
  o.max_sessions_per_client = c.max_sessions_per_client;
  return o;
}

std::string executable_dir(const char* argv0) {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) exe = std::filesystem::absolute(argv0, ec);
  return exe.parent_path().string();
}

http::RouteHandler engine_route(engineio::Server& engine) {
  return [&engine](http::RequestContext& ctx) { return engine.handle(ctx); };
}

}  // namespace

int main(int argc, char** argv) {
  config::Config cfg;
  const auto outcome = config::load(argc, argv, cfg);
  if (outcome.exit_now) return 0;
  if (!core::setup_logging(cfg.log_level, cfg.log_format)) {
    fmt::print(stderr, "chatd: bad LOG_LEVEL\n");
    return 2;
  }
  for (const auto& w : outcome.warnings) spdlog::warn("config: {}", w);
  if (!outcome.ok) {
    for (const auto& e : outcome.errors) spdlog::error("config: {}", e);
    spdlog::error("chatd: invalid configuration, not starting (see chatd --help)");
    return 2;
  }

  if (cfg.mode == config::Mode::health_check) return app::run_health_check(cfg);

  std::string proxies_error;
  const auto proxies = http::TrustedProxies::parse(cfg.trusted_proxies, proxies_error);
  if (!proxies) {
    spdlog::error("config: CHAT_TRUSTED_PROXIES: {}", proxies_error);
    return 2;
  }

  // Until the event loops handle SIGTERM themselves (below), a stop request is recorded, so a
  // start-up wait for the database can end on it (see app/early_stop.hpp).
  app::catch_early_stop_signals();
  try {
    core::ShardPool pool(cfg.threads ? cfg.threads : core::ShardPool::available_cpus());
    const auto policy = connection_policy(cfg, *proxies);
    auto options = engine_options(cfg);
    options.max_sessions = policy.max_connections;
    auto cluster = app::start_cluster(cfg, pool);
    socketio::Server io(pool, options, std::chrono::milliseconds(cfg.connect_timeout_ms),
                        cluster ? app::cluster_adapters(*cluster, pool) : socketio::Server::AdapterFactory{});
    std::unique_ptr<engineio::Server> echo;
    std::unique_ptr<app::ChatApp> chat;
    // Whatever happens from here (a start-up error included), the broker stops delivering into
    // the namespaces and the chat before they are destroyed (declared after them: runs first).
    struct StopClusterFirst {
      app::Cluster* cluster;
      ~StopClusterFirst() {
        if (cluster) cluster->bus->stop();
      }
    } stop_cluster_first{cluster.get()};

    http::Router router;
    router.prefix("/socket.io/", engine_route(io.engine()));

    const char* mode = "chat";
    switch (cfg.mode) {
      case config::Mode::conformance:
        mode = "conformance";
        app::install_conformance(io);
        echo = app::make_echo_engine(pool, options);
        router.prefix("/engine.io/", engine_route(*echo));
        break;
      case config::Mode::bench:
        mode = "bench";
        app::install_bench(io);
        break;
      case config::Mode::chat:
      case config::Mode::health_check:  // handled above; never reaches here
        chat = std::make_unique<app::ChatApp>(cfg, io, router, executable_dir(argv[0]), pool, cluster.get());
        break;
    }

    app::Operations operations(pool, io.engine(), chat.get(), cluster.get(), cfg.metrics_token);
    operations.install(router);
    operations.start();

    http::Listener listener(pool, router, policy);
    listener.listen(cfg.host, cfg.port);
    listener.start();

    // SIGTERM/SIGINT: drain (see Operations::drain); a second signal stops at once.
    boost::asio::signal_set signals(pool.context(0), SIGINT, SIGTERM);
    std::function<void(boost::system::error_code, int)> on_signal = [&](boost::system::error_code ec, int sig) {
      if (ec) return;
      if (operations.draining()) {
        spdlog::warn("chatd: signal {} again, stopping now", sig);
        pool.stop();
        return;
      }
      spdlog::info("chatd: signal {} received, draining", sig);
      if (echo) echo->close_all(engineio::CloseReason::server_shutdown);
      operations.drain(listener, std::chrono::milliseconds(cfg.drain_delay_ms),
                       std::chrono::milliseconds(cfg.shutdown_grace_ms), [&pool] { pool.stop(); });
      signals.async_wait(on_signal);
    };
    signals.async_wait(on_signal);
    // A stop requested while starting, after the start-up waits and before the line above:
    // asio's handler is installed now, so asking again starts the drain.
    if (app::early_stop_requested()) std::raise(SIGTERM);

    spdlog::info("chatd: {} mode, listening on http://{}:{} with {} event loop(s), up to {} connections", mode,
                 cfg.host, listener.port(), pool.size(), policy.max_connections);
    pool.run();
    // No broker message may reach the namespaces once they start going away.
    if (cluster) cluster->bus->stop();
    spdlog::info("chatd: stopped");
  } catch (const app::StoppedAtStart& e) {
    spdlog::info("chatd: {}", e.what());
    return 0;
  } catch (const std::exception& e) {
    spdlog::error("chatd: {}", e.what());
    return 1;
  }
  return 0;
}
