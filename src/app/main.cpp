// chatd: reads the configuration and runs one Server (app/server.hpp) with it, or answers
// --health-check.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <filesystem>

#include "app/early_stop.hpp"
#include "app/health_check.hpp"
#include "app/server.hpp"
#include "config/config.hpp"
#include "core/logging.hpp"

using namespace dchat;

namespace {

std::string executable_dir(const char* argv0) {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) exe = std::filesystem::absolute(argv0, ec);
  return exe.parent_path().string();
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

  // Until the event loops handle SIGTERM themselves (Server::handle_stop_signals), a stop
  // request is recorded, so a start-up wait for the database can end on it.
  app::catch_early_stop_signals();
  try {
    app::Server server(cfg, executable_dir(argv[0]));
    server.handle_stop_signals();
    server.run();
  } catch (const app::InvalidConfig& e) {
    spdlog::error("config: {}", e.what());
    return 2;
  } catch (const app::StoppedAtStart& e) {
    spdlog::info("chatd: {}", e.what());
    return 0;
  } catch (const std::exception& e) {
    spdlog::error("chatd: {}", e.what());
    return 1;
  }
  return 0;
}
