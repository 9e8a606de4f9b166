// chatd: wires configuration, the event loops, the HTTP router and the Socket.IO server.
#include <boost/asio/signal_set.hpp>
#include <fmt/format.h>

#include <filesystem>
#include <spdlog/spdlog.h>

#include "app/apps.hpp"
#include "app/chat_app.hpp"
#include "app/cluster_setup.hpp"
#include "app/health_check.hpp"
#include "app/operations.hpp"
#include "config/config.hpp"
#include "core/logging.hpp"
#include "core/shard_pool.hpp"
#include "http/listener.hpp"
#include "http/responses.hpp"

using namespace dchat;

namespace {

engineio::Options engine_options(const config::Config& c) {
  engineio::Options o;
  o.ping_interval = std::chrono::milliseconds(c.ping_interval_ms);
  o.ping_timeout = std::chrono::milliseconds(c.ping_timeout_ms);
  o.max_payload = c.max_payload;
  o.max_outbox_packets = c.max_outbox_packets;
  o.max_outbox_bytes = c.max_outbox_bytes;
  o.allowed_origins = c.allowed_origins;
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

  try {
    core::ShardPool pool(cfg.threads ? cfg.threads : core::ShardPool::available_cpus());
    const auto options = engine_options(cfg);
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

    app::Operations operations(pool, io.engine(), chat.get(), cluster.get());
    operations.install(router);
    operations.start();

    http::Listener listener(pool, router);
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

    spdlog::info("chatd: {} mode, listening on http://{}:{} with {} event loop(s)", mode, cfg.host, listener.port(),
                 pool.size());
    pool.run();
    // No broker message may reach the namespaces once they start going away.
    if (cluster) cluster->bus->stop();
    spdlog::info("chatd: stopped");
  } catch (const std::exception& e) {
    spdlog::error("chatd: {}", e.what());
    return 1;
  }
  return 0;
}
