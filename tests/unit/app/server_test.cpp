// app::Server as a whole, in-process: it starts (SQLite in a temporary directory, any free
// port), answers the operations endpoints, drains and stops in order, and is destroyed cleanly
// (the unit tests run under ASan with leak detection) — twice in one process, so nothing of one
// run (signal handlers, libraries initialised once, global state) breaks the next.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <chrono>
#include <string>
#include <thread>

#include "running_server.hpp"

namespace dchat::testing {
namespace {

// Polls /readyz until it answers `status` (the first store probe runs right after start).
Reply wait_for_readyz(uint16_t port, unsigned status) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  Reply reply = http_get(port, "/readyz");
  while (reply.status != status && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    reply = http_get(port, "/readyz");
  }
  return reply;
}

bool metrics_say_ready(uint16_t port) {
  const auto metrics = http_get(port, "/metrics");
  EXPECT_EQ(metrics.status, 200u) << metrics.body;
  if (metrics.body.find("\nchatd_ready 1\n") != std::string::npos) return true;
  EXPECT_NE(metrics.body.find("\nchatd_ready 0\n"), std::string::npos) << metrics.body;
  return false;
}

void start_serve_drain_stop(const config::Config& config) {
  RunningServer running(config);
  ASSERT_NE(running.port(), 0);

  const auto health = http_get(running.port(), "/healthz");
  EXPECT_EQ(health.status, 200u);
  EXPECT_EQ(boost::json::parse(health.body), boost::json::parse(R"({"status":"ok"})"));
  EXPECT_EQ(health.headers[boost::beast::http::field::content_type], "application/json");

  const auto ready = wait_for_readyz(running.port(), 200);
  EXPECT_EQ(boost::json::parse(ready.body), boost::json::parse(R"({"status":"ready"})"));
  EXPECT_TRUE(metrics_say_ready(running.port()));

  // During the drain delay the replica still serves, but says it is not ready: /readyz and the
  // chatd_ready metric come from the same reasons.
  running.server().drain();
  const auto draining = wait_for_readyz(running.port(), 503);
  EXPECT_EQ(boost::json::parse(draining.body), boost::json::parse(R"({"status":"not_ready","reasons":["draining"]})"));
  EXPECT_FALSE(metrics_say_ready(running.port()));

  // The drain ends the event loops by itself; the server is destroyed after.
  running.wait_stopped();
}

TEST(Server, StartsServesDrainsAndStopsTwiceInOneProcess) {
  for (int run = 0; run < 2; ++run) {
    SCOPED_TRACE("run " + std::to_string(run + 1));
    TempDir dir;
    auto config = chat_config(dir.path());
    config.drain_delay_ms = 500;
    start_serve_drain_stop(config);
  }
}

TEST(Server, ReopensTheSameDatabaseAfterAStop) {
  TempDir dir;
  const auto config = chat_config(dir.path());
  for (int run = 0; run < 2; ++run) {
    RunningServer running(config);
    EXPECT_EQ(wait_for_readyz(running.port(), 200).status, 200u);
  }
}

TEST(Server, StopsAtOnceWithoutADrain) {
  TempDir dir;
  RunningServer running(chat_config(dir.path()));
  EXPECT_EQ(http_get(running.port(), "/healthz").status, 200u);
  running.server().stop();
  running.wait_stopped();
}

TEST(Server, RefusesBadTrustedProxies) {
  TempDir dir;
  auto config = chat_config(dir.path());
  config.trusted_proxies = {"not-an-address"};
  EXPECT_THROW({ app::Server server(config, std::string()); }, app::InvalidConfig);
}

TEST(Server, BenchModeStartsWithoutAStore) {
  TempDir dir;
  auto config = chat_config(dir.path());
  config.mode = config::Mode::bench;
  RunningServer running(config);
  EXPECT_STREQ(running.server().mode_name(), "bench");
  EXPECT_EQ(wait_for_readyz(running.port(), 200).status, 200u);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "chat.db"));
}

}  // namespace
}  // namespace dchat::testing
