// Configuration: cluster mode as the original chose it (SCALABLE + which *_HOST is set), BROKER
// explicitly, and every conflicting or incomplete combination refused with what to fix.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/options.hpp"

namespace dchat::config {
namespace {

struct Loaded {
  Config config;
  ParseOutcome outcome;
};

// Runs load() on flags only: the variables it reads are cleared first so the caller's
// environment cannot change the result.
Loaded load_flags(std::vector<std::string> flags) {
  for (const char* var : {"SCALABLE", "BROKER", "REDIS_HOST", "NATS_HOST", "RABBIT_HOST", "DATABASE_URL",
                          "BLOB_STORE", "CHAT_CONFORMANCE", "CHAT_BENCH", "PORT"})
    ::unsetenv(var);
  std::vector<char*> argv{const_cast<char*>("chatd")};
  for (auto& f : flags) argv.push_back(f.data());
  Loaded l;
  l.outcome = load(static_cast<int>(argv.size()), argv.data(), l.config);
  return l;
}

std::string errors(const Loaded& l) {
  std::string out;
  for (const auto& e : l.outcome.errors) out += e + "\n";
  return out;
}

constexpr const char* kPg = "--database-url=postgres://chat@db:5432/chat";

TEST(ClusterConfig, OneProcessByDefault) {
  auto l = load_flags({});
  ASSERT_TRUE(l.outcome.ok) << errors(l);
  EXPECT_FALSE(l.config.scalable);
  EXPECT_EQ(l.config.broker, "");
  EXPECT_EQ(l.config.database_url, "sqlite:./data/chat.db");
  EXPECT_EQ(l.config.blob_store, "fs");
}

TEST(ClusterConfig, BrokerFollowsTheHostThatIsSet) {
  for (auto [flag, broker] : std::vector<std::pair<std::string, std::string>>{
           {"--redis-host=redis", "redis"}, {"--nats-host=nats", "nats"}, {"--rabbit-host=rabbit", "amqp"}}) {
    auto l = load_flags({"--scalable=true", kPg, flag});
    ASSERT_TRUE(l.outcome.ok) << flag << ": " << errors(l);
    EXPECT_TRUE(l.config.scalable);
    EXPECT_EQ(l.config.broker, broker);
  }
}

TEST(ClusterConfig, ScalableIsABooleanNotAnyNonEmptyString) {
  auto l = load_flags({"--scalable=false", "--redis-host=redis"});
  EXPECT_FALSE(l.outcome.ok);
  EXPECT_NE(errors(l).find("SCALABLE is not true"), std::string::npos) << errors(l);
  auto bad = load_flags({"--scalable=maybe"});
  EXPECT_FALSE(bad.outcome.ok);
  EXPECT_NE(errors(bad).find("SCALABLE must be true or false"), std::string::npos) << errors(bad);
}

TEST(ClusterConfig, ScalableWithoutABrokerSaysWhatToSet) {
  auto l = load_flags({"--scalable", kPg});
  EXPECT_FALSE(l.outcome.ok);
  EXPECT_NE(errors(l).find("REDIS_HOST, NATS_HOST or RABBIT_HOST"), std::string::npos) << errors(l);
}

TEST(ClusterConfig, TwoHostsAreAmbiguous) {
  auto l = load_flags({"--scalable", kPg, "--redis-host=r", "--nats-host=n"});
  EXPECT_FALSE(l.outcome.ok);
  EXPECT_NE(errors(l).find("REDIS_HOST, NATS_HOST are all set"), std::string::npos) << errors(l);
}

TEST(ClusterConfig, ExplicitBrokerMustAgreeWithTheHosts) {
  auto conflict = load_flags({"--scalable", kPg, "--broker=nats", "--redis-host=r", "--nats-host=n"});
  EXPECT_FALSE(conflict.outcome.ok);
  EXPECT_NE(errors(conflict).find("BROKER=nats conflicts with REDIS_HOST"), std::string::npos) << errors(conflict);
  auto missing = load_flags({"--scalable", kPg, "--broker=redis"});
  EXPECT_FALSE(missing.outcome.ok);
  EXPECT_NE(errors(missing).find("BROKER=redis needs REDIS_HOST"), std::string::npos) << errors(missing);
  auto alias = load_flags({"--scalable", kPg, "--broker=rabbitmq", "--rabbit-host=q"});
  ASSERT_TRUE(alias.outcome.ok) << errors(alias);
  EXPECT_EQ(alias.config.broker, "amqp");
}

TEST(ClusterConfig, PostgresBrokerNeedsPostgres) {
  auto ok = load_flags({"--scalable", kPg, "--broker=postgres"});
  ASSERT_TRUE(ok.outcome.ok) << errors(ok);
  EXPECT_EQ(ok.config.broker, "postgres");
  auto sqlite = load_flags({"--scalable", "--broker=postgres"});
  EXPECT_FALSE(sqlite.outcome.ok);
  EXPECT_NE(errors(sqlite).find("BROKER=postgres uses the database"), std::string::npos) << errors(sqlite);
}

TEST(ClusterConfig, ReplicasNeedASharedDatabase) {
  auto l = load_flags({"--scalable", "--redis-host=r"});
  EXPECT_FALSE(l.outcome.ok);
  EXPECT_NE(errors(l).find("set DATABASE_URL=postgres://"), std::string::npos) << errors(l);
}

TEST(ClusterConfig, BrokerWithoutScalableIsRefused) {
  auto l = load_flags({"--broker=redis"});
  EXPECT_FALSE(l.outcome.ok);
  EXPECT_NE(errors(l).find("needs SCALABLE=true"), std::string::npos) << errors(l);
}

TEST(ClusterConfig, ClusterModeNeedsNoDatabaseWhereNothingIsStored) {
  // The protocol suites run against replicas behind a round-robin balancer (issue #14).
  auto conformance = load_flags({"--scalable", "--redis-host=r", "--conformance"});
  EXPECT_TRUE(conformance.outcome.ok) << errors(conformance);
  auto bench = load_flags({"--scalable", "--redis-host=r", "--bench"});  // stores nothing: no database needed
  EXPECT_TRUE(bench.outcome.ok) << errors(bench);
}

TEST(StorageConfig, DatabaseUrlAndBlobStoreAreChecked) {
  EXPECT_TRUE(load_flags({"--database-url=postgresql://u:p@h/db"}).outcome.ok);
  EXPECT_TRUE(load_flags({"--database-url=sqlite:/tmp/x.db"}).outcome.ok);
  EXPECT_FALSE(load_flags({"--database-url=mysql://h/db"}).outcome.ok);
  EXPECT_FALSE(load_flags({"--database-url=postgres://"}).outcome.ok);
  EXPECT_TRUE(load_flags({"--blob-store=db"}).outcome.ok);
  EXPECT_FALSE(load_flags({"--blob-store=s3"}).outcome.ok);
}

TEST(StorageConfig, HelpListsTheClusterSettings) {
  const std::string help = help_text();
  for (const char* var : {"SCALABLE", "BROKER", "REDIS_HOST", "REDIS_PORT", "NATS_HOST", "NATS_PORT", "RABBIT_HOST",
                          "RABBIT_PORT", "RABBIT_USER", "RABBIT_PASSWORD", "DATABASE_URL", "BLOB_STORE", "UPLOAD_DIR"})
    EXPECT_NE(help.find(var), std::string::npos) << var;
}

// The help text's defaults are read from a default Config, the same place load() starts from.
std::string help_row(const std::string& help, const std::string& flag) {
  const size_t at = help.find("  " + flag + " ");
  if (at == std::string::npos) return "";
  return help.substr(at, help.find('\n', at) - at);
}

TEST(HelpText, ShowsTheDefaultsLoadStartsFrom) {
  const std::string help = help_text();
  const Config defaults;
  EXPECT_NE(help_row(help, "--port").find(" " + std::to_string(defaults.port) + " "), std::string::npos);
  EXPECT_NE(help_row(help, "--threads").find(" 0 (one per CPU) "), std::string::npos) << help_row(help, "--threads");
  EXPECT_NE(help_row(help, "--max-outbox-bytes").find(" 8388608 "), std::string::npos);
  EXPECT_NE(help_row(help, "--session-ttl-hours").find(" 720 "), std::string::npos);
  EXPECT_NE(help_row(help, "--database-url").find(" sqlite:./data/chat.db "), std::string::npos);
  EXPECT_NE(help_row(help, "--allowed-origins").find(" (none: same origin only) "), std::string::npos);
  EXPECT_NE(help_row(help, "--scalable").find(" false "), std::string::npos);
  EXPECT_NE(help_row(help, "--rabbit-vhost").find(" / "), std::string::npos);
  EXPECT_NE(help_row(help, "--health-check").find("ask the chatd"), std::string::npos);
  for (const auto& o : options())
    EXPECT_NE(help.find(std::string("  ") + o.flag), std::string::npos) << o.flag;
}

TEST(ConformanceConfig, ItsOwnDefaultsYieldToExplicitSettings) {
  auto plain = load_flags({"--conformance"});
  ASSERT_TRUE(plain.outcome.ok) << errors(plain);
  EXPECT_EQ(plain.config.port, 3000);
  EXPECT_EQ(plain.config.ping_interval_ms, 300u);
  EXPECT_EQ(plain.config.ping_timeout_ms, 200u);
  EXPECT_EQ(plain.config.connect_timeout_ms, 1000u);
  auto set = load_flags({"--conformance", "--port=4000", "--ping-timeout", "5000"});
  ASSERT_TRUE(set.outcome.ok) << errors(set);
  EXPECT_EQ(set.config.port, 4000);
  EXPECT_EQ(set.config.ping_timeout_ms, 5000u);
  EXPECT_EQ(set.config.ping_interval_ms, 300u);
  ::setenv("PORT", "4001", 1);
  std::vector<char*> argv{const_cast<char*>("chatd"), const_cast<char*>("--conformance")};
  Config from_env;
  EXPECT_TRUE(load(2, argv.data(), from_env).ok);
  ::unsetenv("PORT");
  EXPECT_EQ(from_env.port, 4001);
}

TEST(Validation, ErrorsNameTheVariable) {
  auto l = load_flags({"--port=0", "--host=", "--log-level=loud", "--blob-store=s3", "--session-ttl-hours=0"});
  EXPECT_FALSE(l.outcome.ok);
  for (const char* expected : {"PORT must be a whole number between 1 and 65535 (got \"0\")", "HOST must not be empty",
                               "LOG_LEVEL must be one of trace, debug, info, warn, error, off (got \"loud\")",
                               "BLOB_STORE must be fs or db (got \"s3\")", "CHAT_SESSION_TTL_HOURS must be a number"})
    EXPECT_NE(errors(l).find(expected), std::string::npos) << expected << "\n" << errors(l);
}

}  // namespace
}  // namespace dchat::config
