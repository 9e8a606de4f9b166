#include "config/config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <string_view>

#include "config/options.hpp"

extern char** environ;

namespace dchat::config {

namespace {

// SCALABLE picks the broker as the original did (from which *_HOST is set), or BROKER says it
// explicitly; anything ambiguous or incomplete is refused with what to change.
void resolve_cluster(Config& c, std::vector<std::string>& errors) {
  std::vector<std::string> hosts;
  if (!c.redis_host.empty()) hosts.push_back("redis");
  if (!c.nats_host.empty()) hosts.push_back("nats");
  if (!c.rabbit_host.empty()) hosts.push_back("amqp");
  auto host_var = [](const std::string& kind) -> std::string {
    return kind == "redis" ? "REDIS_HOST" : kind == "nats" ? "NATS_HOST" : "RABBIT_HOST";
  };
  if (!c.scalable) {
    if (!c.broker.empty() && c.broker != "local") {
      errors.push_back(fmt::format("BROKER={} needs SCALABLE=true (or remove BROKER to run one process)", c.broker));
    } else if (!hosts.empty()) {
      errors.push_back(fmt::format("{} is set but SCALABLE is not true: set SCALABLE=true to run as a cluster, or "
                                   "remove {}", host_var(hosts.front()), host_var(hosts.front())));
    }
    if (c.broker == "local") c.broker.clear();
    return;
  }
  if (c.broker.empty()) {
    if (hosts.size() > 1) {
      std::string list;
      for (const auto& h : hosts) list += (list.empty() ? "" : ", ") + host_var(h);
      errors.push_back(fmt::format("{} are all set: keep one, or say which broker with BROKER=redis|nats|amqp", list));
      return;
    }
    if (hosts.empty()) {
      errors.push_back(
          "SCALABLE=true needs a broker: set REDIS_HOST, NATS_HOST or RABBIT_HOST (or BROKER=postgres to use "
          "PostgreSQL LISTEN/NOTIFY)");
      return;
    }
    c.broker = hosts.front();
  } else {
    for (const auto& h : hosts)
      if (h != c.broker)
        errors.push_back(fmt::format("BROKER={} conflicts with {} being set: remove one", c.broker, host_var(h)));
    if ((c.broker == "redis" || c.broker == "nats" || c.broker == "amqp") &&
        std::find(hosts.begin(), hosts.end(), c.broker) == hosts.end())
      errors.push_back(fmt::format("BROKER={} needs {}", c.broker, host_var(c.broker)));
  }
  const bool postgres = !c.database_url.starts_with("sqlite:");
  if (c.broker == "postgres" && !postgres)
    errors.push_back("BROKER=postgres uses the database's LISTEN/NOTIFY: set DATABASE_URL=postgres://...");
  // --bench and --conformance store nothing, so their replicas need no shared database.
  if (c.broker != "local" && !postgres && c.mode == Mode::chat)
    errors.push_back("SCALABLE=true needs a database every replica shares: set DATABASE_URL=postgres://... "
                     "(SQLite is one process's file)");
}

}  // namespace

std::string help_text() {
  const auto& opts = options();
  auto flag_text = [](const Option& o) { return std::string(o.flag) + (o.is_switch ? "" : " VALUE"); };
  // Columns as wide as their longest entry, so no row runs into the next column.
  size_t flag_w = 6, env_w = 11, default_w = 7;
  for (const auto& o : opts) {
    flag_w = std::max(flag_w, flag_text(o).size());
    env_w = std::max(env_w, std::string_view(o.env).size());
    default_w = std::max(default_w, default_text(o).size());
  }
  auto row = [&](std::string_view flag, std::string_view env, std::string_view def, std::string_view help) {
    return fmt::format("  {:<{}} {:<{}} {:<{}} {}\n", flag, flag_w, env, env_w, def, default_w, help);
  };
  std::string out =
      "chatd: real-time chat server (Engine.IO v4 / Socket.IO v5)\n\n"
      "Usage: chatd [flags]\n\n"
      "Every flag can also be given as an environment variable; flags win.\n\n";
  out += row("flag", "environment", "default", "meaning");
  for (const auto& o : opts) out += row(flag_text(o), o.env, default_text(o), o.help);
  out += row("--help", "", "", "print this help and exit");
  return out;
}

namespace {

// Applies one value; remembers which settings were given (conformance mode's own defaults only
// apply to the others).
void apply(const Option& o, std::string_view value, Config& config, std::set<std::string_view>& given,
           ParseOutcome& outcome) {
  given.insert(o.env);
  if (auto err = o.apply(config, value); !err.empty()) outcome.errors.push_back(err);
}

void warn_unknown_chat_variables(ParseOutcome& outcome) {
  // Unknown CHAT_* variables are most likely typos of real settings.
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    if (!kv.starts_with("CHAT_")) continue;
    const std::string_view name = kv.substr(0, kv.find('='));
    bool known = false;
    for (const auto& o : options()) known |= name == o.env;
    if (!known) outcome.warnings.push_back(fmt::format("unknown setting {} is ignored", name));
  }
}

}  // namespace

ParseOutcome load(int argc, char** argv, Config& config) {
  ParseOutcome outcome;
  std::set<std::string_view> given;
  const auto& opts = options();

  for (const auto& o : opts) {
    if (!*o.env) continue;
    if (const char* v = std::getenv(o.env)) apply(o, v, config, given, outcome);
  }
  warn_unknown_chat_variables(outcome);

  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      fmt::print("{}", help_text());
      outcome.exit_now = true;
      return outcome;
    }
    std::string_view value;
    bool has_value = false;
    if (const size_t eq = arg.find('='); eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_value = true;
    }
    const Option* match = nullptr;
    for (const auto& o : opts)
      if (arg == o.flag) match = &o;
    if (!match) {
      outcome.errors.push_back(fmt::format("unknown flag {} (see --help)", arg));
      continue;
    }
    if (match->is_switch && !has_value) {
      value = "true";
    } else if (!has_value) {
      if (i + 1 >= argc) {
        outcome.errors.push_back(fmt::format("{} needs a value", arg));
        continue;
      }
      value = argv[++i];
    }
    apply(*match, value, config, given, outcome);
  }

  if (config.mode == Mode::conformance) {
    if (!given.count("PORT")) config.port = 3000;
    if (!given.count("CHAT_PING_INTERVAL_MS")) config.ping_interval_ms = 300;
    if (!given.count("CHAT_PING_TIMEOUT_MS")) config.ping_timeout_ms = 200;
    if (!given.count("CHAT_CONNECT_TIMEOUT_MS")) config.connect_timeout_ms = 1000;
  }
  resolve_cluster(config, outcome.errors);
  outcome.ok = outcome.errors.empty();
  return outcome;
}

}  // namespace dchat::config
