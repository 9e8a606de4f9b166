#include "config/config.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <functional>
#include <set>
#include <string_view>

extern char** environ;

namespace dchat::config {

namespace {

// One row per setting: the flag, the environment variable, the default shown in --help, the
// description, and how to apply a value. Keeping them in one table keeps --help, the
// environment and the flags from drifting apart.
struct Option {
  const char* flag;
  const char* env;
  const char* default_text;
  const char* help;
  std::function<std::string(Config&, std::string_view)> apply;  // returns an error or ""
  bool is_switch = false;
};

template <typename T>
std::string parse_number(std::string_view v, T& out, T min, T max, const char* what) {
  T value{};
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), value);
  if (ec != std::errc() || ptr != v.data() + v.size() || value < min || value > max)
    return fmt::format("{} must be a whole number between {} and {} (got \"{}\")", what, min, max, v);
  out = value;
  return "";
}

std::string parse_decimal(std::string_view v, double& out, double min, double max, const char* what) {
  double value = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), value);
  if (ec != std::errc() || ptr != v.data() + v.size() || !(value >= min && value <= max))
    return fmt::format("{} must be a number between {} and {} (got \"{}\")", what, min, max, v);
  out = value;
  return "";
}

std::string parse_bool(std::string_view v, bool& out, const char* what) {
  if (v == "1" || v == "true" || v == "yes" || v == "on") {
    out = true;
  } else if (v == "0" || v == "false" || v == "no" || v == "off" || v.empty()) {
    out = false;
  } else {
    return fmt::format("{} must be true or false (got \"{}\")", what, v);
  }
  return "";
}

std::vector<std::string> split_list(std::string_view v) {
  std::vector<std::string> out;
  while (!v.empty()) {
    const size_t comma = v.find(',');
    std::string_view item = v.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    v.remove_prefix(comma + 1);
  }
  return out;
}

struct Explicit {
  bool port = false, ping_interval = false, ping_timeout = false, connect_timeout = false;
};

std::vector<Option> options(Explicit& set) {
  return {
      {"--host", "HOST", "0.0.0.0", "address to listen on",
       [](Config& c, std::string_view v) {
         c.host = std::string(v);
         return std::string(v.empty() ? "HOST must not be empty" : "");
       }},
      {"--port", "PORT", "8888", "TCP port for HTTP, WebSocket and the web UI",
       [&set](Config& c, std::string_view v) {
         set.port = true;
         return parse_number<uint16_t>(v, c.port, 1, 65535, "PORT");
       }},
      {"--threads", "CHAT_THREADS", "0 (one per CPU)", "event loops (threads)",
       [](Config& c, std::string_view v) { return parse_number<size_t>(v, c.threads, 0, 256, "CHAT_THREADS"); }},
      {"--ping-interval", "CHAT_PING_INTERVAL_MS", "25000", "Engine.IO heartbeat interval (ms)",
       [&set](Config& c, std::string_view v) {
         set.ping_interval = true;
         return parse_number<uint32_t>(v, c.ping_interval_ms, 50, 3600000, "CHAT_PING_INTERVAL_MS");
       }},
      {"--ping-timeout", "CHAT_PING_TIMEOUT_MS", "20000", "time to answer a ping before the session closes (ms)",
       [&set](Config& c, std::string_view v) {
         set.ping_timeout = true;
         return parse_number<uint32_t>(v, c.ping_timeout_ms, 50, 3600000, "CHAT_PING_TIMEOUT_MS");
       }},
      {"--max-payload", "CHAT_MAX_PAYLOAD", "1000000", "largest message or polling body accepted (bytes)",
       [](Config& c, std::string_view v) {
         return parse_number<uint64_t>(v, c.max_payload, 64, 100u << 20, "CHAT_MAX_PAYLOAD");
       }},
      {"--connect-timeout", "CHAT_CONNECT_TIMEOUT_MS", "10000",
       "time for a new connection to join a namespace (sign in) before it is closed (ms)",
       [&set](Config& c, std::string_view v) {
         set.connect_timeout = true;
         return parse_number<uint32_t>(v, c.connect_timeout_ms, 100, 3600000, "CHAT_CONNECT_TIMEOUT_MS");
       }},
      {"--max-outbox-packets", "CHAT_MAX_OUTBOX_PACKETS", "4096",
       "packets queued for one client before it counts as slow",
       [](Config& c, std::string_view v) {
         return parse_number<size_t>(v, c.max_outbox_packets, 8, 1u << 20, "CHAT_MAX_OUTBOX_PACKETS");
       }},
      {"--max-outbox-bytes", "CHAT_MAX_OUTBOX_BYTES", "8388608", "bytes queued for one client before it counts as slow",
       [](Config& c, std::string_view v) {
         // At least a few of the largest chat messages (4,000 characters: up to 16 KB).
         return parse_number<size_t>(v, c.max_outbox_bytes, 65536, size_t(1) << 32, "CHAT_MAX_OUTBOX_BYTES");
       }},
      {"--allowed-origins", "CHAT_ALLOWED_ORIGINS", "(none: same origin only)",
       "comma-separated origins allowed cross-origin (CORS, WebSocket); * for any",
       [](Config& c, std::string_view v) {
         c.allowed_origins = split_list(v);
         return std::string();
       }},
      {"--trusted-proxies", "CHAT_TRUSTED_PROXIES", "(none)",
       "comma-separated addresses or CIDRs of load balancers whose X-Forwarded-For/-Proto are believed",
       [](Config& c, std::string_view v) {
         c.trusted_proxies = split_list(v);
         return std::string();
       }},
      {"--max-connections", "CHAT_MAX_CONNECTIONS", "0 (from ulimit -n)", "TCP connections in all; more are refused",
       [](Config& c, std::string_view v) {
         return parse_number<size_t>(v, c.max_connections, 0, 10000000, "CHAT_MAX_CONNECTIONS");
       }},
      {"--max-connections-per-client", "CHAT_MAX_CONNECTIONS_PER_CLIENT", "256",
       "TCP connections from one address (IPv6: one /64); trusted proxies are exempt",
       [](Config& c, std::string_view v) {
         return parse_number<size_t>(v, c.max_connections_per_client, 1, 10000000, "CHAT_MAX_CONNECTIONS_PER_CLIENT");
       }},
      {"--max-sessions-per-client", "CHAT_MAX_SESSIONS_PER_CLIENT", "256",
       "open Engine.IO sessions (tabs, devices) of one client address",
       [](Config& c, std::string_view v) {
         return parse_number<size_t>(v, c.max_sessions_per_client, 1, 10000000, "CHAT_MAX_SESSIONS_PER_CLIENT");
       }},
      {"--header-timeout", "CHAT_HEADER_TIMEOUT_MS", "10000", "time to send a request's headers (ms)",
       [](Config& c, std::string_view v) {
         return parse_number<uint32_t>(v, c.header_timeout_ms, 100, 600000, "CHAT_HEADER_TIMEOUT_MS");
       }},
      {"--metrics-token", "CHAT_METRICS_TOKEN", "(none: loopback only)",
       "/metrics requires Authorization: Bearer TOKEN; without a token only loopback may read it",
       [](Config& c, std::string_view v) {
         c.metrics_token = std::string(v);
         return std::string();
       }},
      {"--message-rate", "CHAT_MESSAGE_RATE", "5", "messages one user may send per second (sustained)",
       [](Config& c, std::string_view v) { return parse_number<uint32_t>(v, c.message_rate, 1, 100000, "CHAT_MESSAGE_RATE"); }},
      {"--message-burst", "CHAT_MESSAGE_BURST", "20", "messages one user may send at once after a quiet while",
       [](Config& c, std::string_view v) {
         return parse_number<uint32_t>(v, c.message_burst, 1, 1000000, "CHAT_MESSAGE_BURST");
       }},
      {"--max-pending-per-connection", "CHAT_MAX_PENDING_PER_CONNECTION", "32",
       "requests of one connection waiting for the database; more are answered \"overloaded\"",
       [](Config& c, std::string_view v) {
         return parse_number<size_t>(v, c.max_pending_per_connection, 1, 100000, "CHAT_MAX_PENDING_PER_CONNECTION");
       }},
      {"--overload-lag", "CHAT_OVERLOAD_LAG_MS", "250",
       "an event loop this far behind answers new requests \"overloaded\" (ms; 0: never)",
       [](Config& c, std::string_view v) {
         return parse_number<uint32_t>(v, c.overload_lag_ms, 0, 600000, "CHAT_OVERLOAD_LAG_MS");
       }},
      {"--max-rooms-per-user", "CHAT_MAX_ROOMS_PER_USER", "200", "rooms (public and direct) one user can be in",
       [](Config& c, std::string_view v) {
         return parse_number<size_t>(v, c.max_rooms_per_user, 1, 1000000, "CHAT_MAX_ROOMS_PER_USER");
       }},
      {"--room-creations-per-hour", "CHAT_ROOM_CREATIONS_PER_HOUR", "20", "new public rooms one user may create per hour",
       [](Config& c, std::string_view v) {
         return parse_number<uint32_t>(v, c.room_creations_per_hour, 1, 1000000, "CHAT_ROOM_CREATIONS_PER_HOUR");
       }},
      {"--hash-threads", "CHAT_HASH_THREADS", "2", "password hashing threads (argon2id, 64 MiB each)",
       [](Config& c, std::string_view v) { return parse_number<size_t>(v, c.hash_threads, 1, 64, "CHAT_HASH_THREADS"); }},
      {"--hash-queue", "CHAT_HASH_QUEUE", "32", "sign-ins waiting for a hashing thread; more are answered 503",
       [](Config& c, std::string_view v) { return parse_number<size_t>(v, c.hash_queue, 1, 100000, "CHAT_HASH_QUEUE"); }},
      {"--sign-ins-per-minute", "CHAT_SIGN_INS_PER_MINUTE", "20", "sign-in attempts per client address per minute",
       [](Config& c, std::string_view v) {
         return parse_number<uint32_t>(v, c.sign_ins_per_minute, 1, 1000000, "CHAT_SIGN_INS_PER_MINUTE");
       }},
      {"--sign-ups-per-hour", "CHAT_SIGN_UPS_PER_HOUR", "10", "accounts one client address may create per hour",
       [](Config& c, std::string_view v) {
         return parse_number<uint32_t>(v, c.sign_ups_per_hour, 1, 1000000, "CHAT_SIGN_UPS_PER_HOUR");
       }},
      {"--sign-ups-per-minute-total", "CHAT_SIGN_UPS_PER_MINUTE_TOTAL", "60", "accounts everyone together may create per minute",
       [](Config& c, std::string_view v) {
         return parse_number<uint32_t>(v, c.sign_ups_per_minute_total, 1, 1000000, "CHAT_SIGN_UPS_PER_MINUTE_TOTAL");
       }},
      {"--database-url", "DATABASE_URL", "sqlite:./data/chat.db",
       "where the chat is stored: sqlite:PATH, or postgres://USER:PASSWORD@HOST:PORT/DB (shared by replicas)",
       [](Config& c, std::string_view v) {
         const bool sqlite = v.starts_with("sqlite:") && v.size() > 7;
         const bool postgres = (v.starts_with("postgres://") && v.size() > 11) ||
                               (v.starts_with("postgresql://") && v.size() > 13);
         if (!sqlite && !postgres)
           return fmt::format("DATABASE_URL must look like sqlite:PATH or postgres://USER@HOST:PORT/DB (got \"{}\")", v);
         c.database_url = std::string(v);
         return std::string();
       }},
      {"--blob-store", "BLOB_STORE", "fs", "where avatars live: fs (UPLOAD_DIR) or db (the database: no shared volume needed)",
       [](Config& c, std::string_view v) {
         if (v != "fs" && v != "db") return fmt::format("BLOB_STORE must be fs or db (got \"{}\")", v);
         c.blob_store = std::string(v);
         return std::string();
       }},
      {"--scalable", "SCALABLE", "false", "cluster mode: replicas share the database and a broker",
       [](Config& c, std::string_view v) { return parse_bool(v, c.scalable, "SCALABLE"); }, true},
      {"--broker", "BROKER", "(from *_HOST)", "redis, nats, amqp, postgres (LISTEN/NOTIFY on DATABASE_URL) or local",
       [](Config& c, std::string_view v) {
         std::string b(v);
         if (b == "rabbit" || b == "rabbitmq") b = "amqp";
         static const std::set<std::string_view> ok{"redis", "nats", "amqp", "postgres", "local"};
         if (!ok.count(b)) return fmt::format("BROKER must be redis, nats, amqp, postgres or local (got \"{}\")", v);
         c.broker = b;
         return std::string();
       }},
      {"--redis-host", "REDIS_HOST", "", "Redis host: with SCALABLE, Redis is the broker",
       [](Config& c, std::string_view v) { c.redis_host = std::string(v); return std::string(); }},
      {"--redis-port", "REDIS_PORT", "6379", "Redis port",
       [](Config& c, std::string_view v) { return parse_number<uint16_t>(v, c.redis_port, 1, 65535, "REDIS_PORT"); }},
      {"--nats-host", "NATS_HOST", "", "NATS host: with SCALABLE, NATS is the broker",
       [](Config& c, std::string_view v) { c.nats_host = std::string(v); return std::string(); }},
      {"--nats-port", "NATS_PORT", "4222", "NATS port",
       [](Config& c, std::string_view v) { return parse_number<uint16_t>(v, c.nats_port, 1, 65535, "NATS_PORT"); }},
      {"--rabbit-host", "RABBIT_HOST", "", "RabbitMQ host: with SCALABLE, RabbitMQ (AMQP 0-9-1) is the broker",
       [](Config& c, std::string_view v) { c.rabbit_host = std::string(v); return std::string(); }},
      {"--rabbit-port", "RABBIT_PORT", "5672", "RabbitMQ port",
       [](Config& c, std::string_view v) { return parse_number<uint16_t>(v, c.rabbit_port, 1, 65535, "RABBIT_PORT"); }},
      {"--rabbit-user", "RABBIT_USER", "guest", "RabbitMQ user",
       [](Config& c, std::string_view v) { c.rabbit_user = std::string(v); return std::string(); }},
      {"--rabbit-password", "RABBIT_PASSWORD", "guest", "RabbitMQ password",
       [](Config& c, std::string_view v) { c.rabbit_password = std::string(v); return std::string(); }},
      {"--rabbit-vhost", "RABBIT_VHOST", "/", "RabbitMQ virtual host",
       [](Config& c, std::string_view v) { c.rabbit_vhost = std::string(v); return std::string(); }},
      {"--replica-name", "REPLICA_NAME", "(host name)", "this replica's name in logs and metrics",
       [](Config& c, std::string_view v) { c.replica_name = std::string(v); return std::string(); }},
      {"--cluster-heartbeat", "CHAT_CLUSTER_HEARTBEAT_MS", "2000",
       "replica heartbeat (ms); a replica silent for 4 heartbeats is gone and its users go offline",
       [](Config& c, std::string_view v) {
         return parse_number<uint32_t>(v, c.cluster_heartbeat_ms, 100, 60000, "CHAT_CLUSTER_HEARTBEAT_MS");
       }},
      {"--upload-dir", "UPLOAD_DIR", "./uploads", "directory for uploaded avatars (may be a shared volume)",
       [](Config& c, std::string_view v) {
         c.upload_dir = std::string(v);
         return std::string(v.empty() ? "UPLOAD_DIR must not be empty" : "");
       }},
      {"--web-dir", "CHAT_WEB_DIR", "web/ next to chatd", "directory of the web UI files",
       [](Config& c, std::string_view v) {
         c.web_dir = std::string(v);
         return std::string();
       }},
      {"--session-ttl-hours", "CHAT_SESSION_TTL_HOURS", "720", "sign-in sessions expire after this long unused",
       [](Config& c, std::string_view v) {
         // Fractions allowed (down to a second), so expiry can be tried out without waiting hours.
         return parse_decimal(v, c.session_ttl_hours, 1.0 / 3600, 24 * 365, "CHAT_SESSION_TTL_HOURS");
       }},
      {"--store-threads", "CHAT_STORE_THREADS", "4", "worker threads for the database and images",
       [](Config& c, std::string_view v) { return parse_number<size_t>(v, c.store_threads, 1, 64, "CHAT_STORE_THREADS"); }},
      {"--conformance", "CHAT_CONFORMANCE", "false",
       "serve the handlers the official socket.io protocol test suites expect (port 3000, "
       "pingInterval 300, pingTimeout 200, connectTimeout 1000 unless set)",
       [](Config& c, std::string_view v) {
         bool on = false;
         auto err = parse_bool(v, on, "CHAT_CONFORMANCE");
         if (on) c.mode = Mode::conformance;
         return err;
       },
       true},
      {"--bench", "CHAT_BENCH", "false",
       "benchmark mode for ../shared/bench: every client joins room general; \"chat message\" is "
       "broadcast to its room",
       [](Config& c, std::string_view v) {
         bool on = false;
         auto err = parse_bool(v, on, "CHAT_BENCH");
         if (on) c.mode = Mode::bench;
         return err;
       },
       true},
      {"--shutdown-grace", "CHAT_SHUTDOWN_GRACE_MS", "10000",
       "on SIGTERM: stop taking traffic, move clients away, finish in-flight work, exit within this (ms)",
       [](Config& c, std::string_view v) {
         return parse_number<uint32_t>(v, c.shutdown_grace_ms, 0, 3600000, "CHAT_SHUTDOWN_GRACE_MS");
       }},
      {"--drain-delay", "CHAT_DRAIN_DELAY_MS", "0",
       "on SIGTERM: keep serving this long with /readyz at 503 before moving clients away (ms)",
       [](Config& c, std::string_view v) {
         return parse_number<uint32_t>(v, c.drain_delay_ms, 0, 3600000, "CHAT_DRAIN_DELAY_MS");
       }},
      {"--store-startup-timeout", "CHAT_STORE_STARTUP_TIMEOUT_MS", "60000",
       "at start, keep retrying a store that is not reachable yet (PostgreSQL still starting) this long, "
       "with backoff, before giving up (ms; 0: try once)",
       [](Config& c, std::string_view v) {
         return parse_number<uint32_t>(v, c.store_startup_timeout_ms, 0, 3600000, "CHAT_STORE_STARTUP_TIMEOUT_MS");
       }},
      {"--health-check", "", "", "ask the chatd on HOST:PORT (loopback for 0.0.0.0) for /healthz; exit 0 (healthy) or 1 (for Docker)",
       [](Config& c, std::string_view v) {
         bool on = false;
         auto err = parse_bool(v, on, "--health-check");
         if (on) c.mode = Mode::health_check;
         return err;
       },
       true},
      {"--log-level", "LOG_LEVEL", "info", "trace, debug, info, warn, error or off",
       [](Config& c, std::string_view v) {
         static const std::set<std::string_view> ok{"trace", "debug", "info", "warn", "error", "off"};
         if (!ok.count(v)) return fmt::format("LOG_LEVEL must be one of trace, debug, info, warn, error, off (got \"{}\")", v);
         c.log_level = std::string(v);
         return std::string();
       }},
      {"--log-format", "LOG_FORMAT", "text", "text or json (one JSON object per line)",
       [](Config& c, std::string_view v) {
         if (v != "text" && v != "json") return fmt::format("LOG_FORMAT must be text or json (got \"{}\")", v);
         c.log_format = std::string(v);
         return std::string();
       }},
  };
}

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
  if (c.mode == Mode::conformance) {
    errors.push_back("SCALABLE=true applies to the chat and --bench, not to --conformance");
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
  // --bench stores nothing, so its replicas need no shared database.
  if (c.broker != "local" && !postgres && c.mode == Mode::chat)
    errors.push_back("SCALABLE=true needs a database every replica shares: set DATABASE_URL=postgres://... "
                     "(SQLite is one process's file)");
}

}  // namespace

std::string help_text() {
  Explicit set;
  const auto opts = options(set);
  auto flag_text = [](const Option& o) { return std::string(o.flag) + (o.is_switch ? "" : " VALUE"); };
  // Columns as wide as their longest entry, so no row runs into the next column.
  size_t flag_w = 6, env_w = 11, default_w = 7;
  for (const auto& o : opts) {
    flag_w = std::max(flag_w, flag_text(o).size());
    env_w = std::max(env_w, std::string_view(o.env).size());
    default_w = std::max(default_w, std::string_view(o.default_text).size());
  }
  auto row = [&](std::string_view flag, std::string_view env, std::string_view def, std::string_view help) {
    return fmt::format("  {:<{}} {:<{}} {:<{}} {}\n", flag, flag_w, env, env_w, def, default_w, help);
  };
  std::string out =
      "chatd: real-time chat server (Engine.IO v4 / Socket.IO v5)\n\n"
      "Usage: chatd [flags]\n\n"
      "Every flag can also be given as an environment variable; flags win.\n\n";
  out += row("flag", "environment", "default", "meaning");
  for (const auto& o : opts) out += row(flag_text(o), o.env, o.default_text, o.help);
  out += row("--help", "", "", "print this help and exit");
  return out;
}

ParseOutcome load(int argc, char** argv, Config& config) {
  ParseOutcome outcome;
  Explicit set;
  auto opts = options(set);

  for (const auto& o : opts) {
    if (const char* v = std::getenv(o.env)) {
      if (auto err = o.apply(config, v); !err.empty()) outcome.errors.push_back(err);
    }
  }
  // Unknown CHAT_* variables are most likely typos of real settings.
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    if (!kv.starts_with("CHAT_")) continue;
    const std::string_view name = kv.substr(0, kv.find('='));
    bool known = false;
    for (const auto& o : opts) known |= name == o.env;
    if (!known) outcome.warnings.push_back(fmt::format("unknown setting {} is ignored", name));
  }

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
    if (auto err = match->apply(config, value); !err.empty()) outcome.errors.push_back(err);
  }

  if (config.mode == Mode::conformance) {
    if (!set.port) config.port = 3000;
    if (!set.ping_interval) config.ping_interval_ms = 300;
    if (!set.ping_timeout) config.ping_timeout_ms = 200;
    if (!set.connect_timeout) config.connect_timeout_ms = 1000;
  }
  resolve_cluster(config, outcome.errors);
  outcome.ok = outcome.errors.empty();
  return outcome;
}

}  // namespace dchat::config
