#include "config/options.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <charconv>
#include <set>
#include <type_traits>

namespace dchat::config {

namespace {

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

// The kinds of settings. Each error names the environment variable (the flag when there is none).

template <typename Field>
std::function<std::string(const Config&)> shown(Field Config::*field) {
  return [field](const Config& c) { return fmt::format("{}", c.*field); };
}

template <typename T>
Option number(const char* flag, const char* env, T Config::*field, std::type_identity_t<T> min,
              std::type_identity_t<T> max, const char* help, const char* note = "") {
  return {flag, env, help, [=](Config& c, std::string_view v) { return parse_number<T>(v, c.*field, min, max, env); },
          shown(field), note};
}

Option decimal(const char* flag, const char* env, double Config::*field, double min, double max, const char* help) {
  return {flag, env, help, [=](Config& c, std::string_view v) { return parse_decimal(v, c.*field, min, max, env); },
          shown(field)};
}

Option text(const char* flag, const char* env, std::string Config::*field, const char* help, const char* note = "",
            bool required = false) {
  return {flag, env, help,
          [=](Config& c, std::string_view v) {
            c.*field = std::string(v);
            return v.empty() && required ? fmt::format("{} must not be empty", env) : std::string();
          },
          shown(field), note};
}

Option required_text(const char* flag, const char* env, std::string Config::*field, const char* help) {
  return text(flag, env, field, help, "", true);
}

Option list(const char* flag, const char* env, std::vector<std::string> Config::*field, const char* help,
            const char* note) {
  return {flag, env, help,
          [=](Config& c, std::string_view v) {
            c.*field = split_list(v);
            return std::string();
          },
          [=](const Config& c) { return fmt::format("{}", fmt::join(c.*field, ",")); }, note};
}

// One of `allowed`; `allowed_text` says them in the error ("fs or db").
Option choice(const char* flag, const char* env, std::string Config::*field, std::set<std::string_view> allowed,
              const char* allowed_text, const char* help) {
  return {flag, env, help,
          [=](Config& c, std::string_view v) {
            if (!allowed.count(v)) return fmt::format("{} must be {} (got \"{}\")", env, allowed_text, v);
            c.*field = std::string(v);
            return std::string();
          },
          shown(field)};
}

Option boolean(const char* flag, const char* env, bool Config::*field, const char* help) {
  return {flag, env, help, [=](Config& c, std::string_view v) { return parse_bool(v, c.*field, env); },
          [=](const Config& c) { return std::string(c.*field ? "true" : "false"); }, "", true};
}

// A switch that runs chatd in another mode. Without an environment variable (--health-check)
// it shows no default.
Option mode_switch(const char* flag, const char* env, Mode mode, const char* help) {
  const char* what = *env ? env : flag;
  Option o{flag, env, help, [=](Config& c, std::string_view v) {
             bool on = false;
             auto err = parse_bool(v, on, what);
             if (on) c.mode = mode;
             return err;
           },
           nullptr};
  if (*env) o.show = [=](const Config& c) { return std::string(c.mode == mode ? "true" : "false"); };
  o.is_switch = true;
  return o;
}

Option database_url() {
  return {"--database-url", "DATABASE_URL",
          "where the chat is stored: sqlite:PATH, or postgres://USER:PASSWORD@HOST:PORT/DB (shared by replicas)",
          [](Config& c, std::string_view v) {
            const bool sqlite = v.starts_with("sqlite:") && v.size() > 7;
            const bool postgres =
                (v.starts_with("postgres://") && v.size() > 11) || (v.starts_with("postgresql://") && v.size() > 13);
            if (!sqlite && !postgres)
              return fmt::format("DATABASE_URL must look like sqlite:PATH or postgres://USER@HOST:PORT/DB (got \"{}\")",
                                 v);
            c.database_url = std::string(v);
            return std::string();
          },
          shown(&Config::database_url)};
}

Option broker() {
  return {"--broker", "BROKER", "redis, nats, amqp, postgres (LISTEN/NOTIFY on DATABASE_URL) or local",
          [](Config& c, std::string_view v) {
            std::string b(v);
            if (b == "rabbit" || b == "rabbitmq") b = "amqp";
            static const std::set<std::string_view> ok{"redis", "nats", "amqp", "postgres", "local"};
            if (!ok.count(b)) return fmt::format("BROKER must be redis, nats, amqp, postgres or local (got \"{}\")", v);
            c.broker = b;
            return std::string();
          },
          shown(&Config::broker), "(from *_HOST)"};
}

std::vector<Option> make_options() {
  using C = Config;
  return {
      required_text("--host", "HOST", &C::host, "address to listen on"),
      number("--port", "PORT", &C::port, 1, 65535, "TCP port for HTTP, WebSocket and the web UI"),
      number("--threads", "CHAT_THREADS", &C::threads, 0, 256, "event loops (threads)", "(one per CPU)"),
      number("--ping-interval", "CHAT_PING_INTERVAL_MS", &C::ping_interval_ms, 50, 3600000,
             "Engine.IO heartbeat interval (ms)"),
      number("--ping-timeout", "CHAT_PING_TIMEOUT_MS", &C::ping_timeout_ms, 50, 3600000,
             "time to answer a ping before the session closes (ms)"),
      number("--max-payload", "CHAT_MAX_PAYLOAD", &C::max_payload, 64, 100u << 20,
             "largest message or polling body accepted (bytes)"),
      number("--connect-timeout", "CHAT_CONNECT_TIMEOUT_MS", &C::connect_timeout_ms, 100, 3600000,
             "time for a new connection to join a namespace (sign in) before it is closed (ms)"),
      number("--max-outbox-packets", "CHAT_MAX_OUTBOX_PACKETS", &C::max_outbox_packets, 8, 1u << 20,
             "packets queued for one client before it counts as slow"),
      // At least a few of the largest chat messages (4,000 characters: up to 16 KB).
      number("--max-outbox-bytes", "CHAT_MAX_OUTBOX_BYTES", &C::max_outbox_bytes, 65536, size_t(1) << 32,
             "bytes queued for one client before it counts as slow"),
      list("--allowed-origins", "CHAT_ALLOWED_ORIGINS", &C::allowed_origins,
           "comma-separated origins allowed cross-origin (CORS, WebSocket); * for any", "(none: same origin only)"),
      list("--trusted-proxies", "CHAT_TRUSTED_PROXIES", &C::trusted_proxies,
           "comma-separated addresses or CIDRs of load balancers whose X-Forwarded-For/-Proto are believed", "(none)"),
      number("--max-connections", "CHAT_MAX_CONNECTIONS", &C::max_connections, 0, 10000000,
             "TCP connections in all; more are refused", "(from ulimit -n)"),
      number("--max-connections-per-client", "CHAT_MAX_CONNECTIONS_PER_CLIENT", &C::max_connections_per_client, 1,
             10000000, "TCP connections from one address (IPv6: one /64); trusted proxies are exempt"),
      number("--max-sessions-per-client", "CHAT_MAX_SESSIONS_PER_CLIENT", &C::max_sessions_per_client, 1, 10000000,
             "open Engine.IO sessions (tabs, devices) of one client address"),
      number("--header-timeout", "CHAT_HEADER_TIMEOUT_MS", &C::header_timeout_ms, 100, 600000,
             "time to send a request's headers (ms)"),
      text("--metrics-token", "CHAT_METRICS_TOKEN", &C::metrics_token,
           "/metrics requires Authorization: Bearer TOKEN; without a token only loopback may read it",
           "(none: loopback only)"),
      number("--message-rate", "CHAT_MESSAGE_RATE", &C::message_rate, 1, 100000,
             "messages one user may send per second (sustained)"),
      number("--message-burst", "CHAT_MESSAGE_BURST", &C::message_burst, 1, 1000000,
             "messages one user may send at once after a quiet while"),
      number("--max-pending-per-connection", "CHAT_MAX_PENDING_PER_CONNECTION", &C::max_pending_per_connection, 1,
             100000, "requests of one connection waiting for the database; more are answered \"overloaded\""),
      number("--overload-lag", "CHAT_OVERLOAD_LAG_MS", &C::overload_lag_ms, 0, 600000,
             "an event loop this far behind answers new requests \"overloaded\" (ms; 0: never)"),
      number("--change-rate", "CHAT_CHANGE_RATE", &C::change_rate, 1, 100000,
             "edits, deletes and reactions one user may make per second (sustained)"),
      number("--change-burst", "CHAT_CHANGE_BURST", &C::change_burst, 1, 1000000,
             "edits, deletes and reactions one user may make at once after a quiet while"),
      number("--edit-window", "CHAT_EDIT_WINDOW_S", &C::edit_window_s, 0, 100000000,
             "seconds after sending during which its author may edit a message (0: never)"),
      number("--max-reaction-kinds", "CHAT_MAX_REACTION_KINDS", &C::max_reaction_kinds, 1, 50,
             "different emoji one message can carry"),
      number("--room-mention-max-members", "CHAT_ROOM_MENTION_MAX_MEMBERS", &C::room_mention_max_members, 0, 1000,
             "@room mentions everyone only in rooms with at most this many members (0: never)"),
      number("--max-attachment-bytes", "CHAT_MAX_ATTACHMENT_BYTES", &C::max_attachment_bytes, 1024, 100u << 20,
             "largest image one may attach to a message (bytes of the upload)"),
      number("--max-unsent-attachments", "CHAT_MAX_UNSENT_ATTACHMENTS", &C::max_unsent_attachments, 1, 10000,
             "images one user may have uploaded and not sent yet"),
      number("--attachment-ttl", "CHAT_ATTACHMENT_TTL_S", &C::attachment_ttl_s, 10, 100000000,
             "seconds an uploaded image waits to be sent before it is deleted"),
      number("--max-rooms-per-user", "CHAT_MAX_ROOMS_PER_USER", &C::max_rooms_per_user, 1, 1000000,
             "rooms (public and direct) one user can be in"),
      number("--room-creations-per-hour", "CHAT_ROOM_CREATIONS_PER_HOUR", &C::room_creations_per_hour, 1, 1000000,
             "new public rooms one user may create per hour"),
      number("--hash-threads", "CHAT_HASH_THREADS", &C::hash_threads, 1, 64,
             "password hashing threads (argon2id, 64 MiB each)"),
      number("--hash-queue", "CHAT_HASH_QUEUE", &C::hash_queue, 1, 100000,
             "sign-ins waiting for a hashing thread; more are answered 503"),
      number("--sign-ins-per-minute", "CHAT_SIGN_INS_PER_MINUTE", &C::sign_ins_per_minute, 1, 1000000,
             "sign-in attempts per client address per minute"),
      number("--sign-ups-per-hour", "CHAT_SIGN_UPS_PER_HOUR", &C::sign_ups_per_hour, 1, 1000000,
             "accounts one client address may create per hour"),
      number("--sign-ups-per-minute-total", "CHAT_SIGN_UPS_PER_MINUTE_TOTAL", &C::sign_ups_per_minute_total, 1,
             1000000, "accounts everyone together may create per minute"),
      database_url(),
      choice("--blob-store", "BLOB_STORE", &C::blob_store, {"fs", "db"}, "fs or db",
             "where avatars live: fs (UPLOAD_DIR) or db (the database: no shared volume needed)"),
      boolean("--scalable", "SCALABLE", &C::scalable, "cluster mode: replicas share the database and a broker"),
      broker(),
      text("--redis-host", "REDIS_HOST", &C::redis_host, "Redis host: with SCALABLE, Redis is the broker"),
      number("--redis-port", "REDIS_PORT", &C::redis_port, 1, 65535, "Redis port"),
      text("--nats-host", "NATS_HOST", &C::nats_host, "NATS host: with SCALABLE, NATS is the broker"),
      number("--nats-port", "NATS_PORT", &C::nats_port, 1, 65535, "NATS port"),
      text("--rabbit-host", "RABBIT_HOST", &C::rabbit_host,
           "RabbitMQ host: with SCALABLE, RabbitMQ (AMQP 0-9-1) is the broker"),
      number("--rabbit-port", "RABBIT_PORT", &C::rabbit_port, 1, 65535, "RabbitMQ port"),
      text("--rabbit-user", "RABBIT_USER", &C::rabbit_user, "RabbitMQ user"),
      text("--rabbit-password", "RABBIT_PASSWORD", &C::rabbit_password, "RabbitMQ password"),
      text("--rabbit-vhost", "RABBIT_VHOST", &C::rabbit_vhost, "RabbitMQ virtual host"),
      text("--replica-name", "REPLICA_NAME", &C::replica_name, "this replica's name in logs and metrics",
           "(host name)"),
      number("--cluster-heartbeat", "CHAT_CLUSTER_HEARTBEAT_MS", &C::cluster_heartbeat_ms, 100, 60000,
             "replica heartbeat (ms); a replica silent for 4 heartbeats is gone and its users go offline"),
      boolean("--session-forwarding", "CHAT_SESSION_FORWARDING", &C::session_forwarding,
              "cluster mode: requests for a session another replica holds are passed to it (no sticky sessions needed)"),
      number("--cluster-port", "CHAT_CLUSTER_PORT", &C::cluster_port, 0, 65535,
             "internal port other replicas forward requests to (0: any free port; announced over the broker)"),
      text("--advertise-address", "CHAT_ADVERTISE_ADDRESS", &C::advertise_address,
           "the IP address (or host name) other replicas reach this one at", "(first non-loopback address)"),
      number("--max-forwards", "CHAT_MAX_FORWARDS", &C::max_forwards, 1, 10000000,
             "requests and WebSockets passed to other replicas at once (per client: CHAT_MAX_SESSIONS_PER_CLIENT)"),
      required_text("--upload-dir", "UPLOAD_DIR", &C::upload_dir,
                    "directory for uploaded avatars (may be a shared volume)"),
      text("--web-dir", "CHAT_WEB_DIR", &C::web_dir, "directory of the web UI files", "web/ next to chatd"),
      // Fractions allowed (down to a second), so expiry can be tried out without waiting hours.
      decimal("--session-ttl-hours", "CHAT_SESSION_TTL_HOURS", &C::session_ttl_hours, 1.0 / 3600, 24 * 365,
              "sign-in sessions expire after this long unused"),
      number("--store-threads", "CHAT_STORE_THREADS", &C::store_threads, 1, 64,
             "worker threads for database reads and images (message:send has its own writer, which group-commits)"),
      number("--store-group-wait", "CHAT_STORE_GROUP_WAIT_US", &C::store_group_wait_us, 0, 100000,
             "while messages arrive faster than one per this, the writer waits this long for more to commit in "
             "one transaction and broadcast together (microseconds; 0: never; adds at most this to an ack)"),
      mode_switch("--conformance", "CHAT_CONFORMANCE", Mode::conformance,
                  "serve the handlers the official socket.io protocol test suites expect (port 3000, "
                  "pingInterval 300, pingTimeout 200, connectTimeout 1000 unless set)"),
      mode_switch("--bench", "CHAT_BENCH", Mode::bench,
                  "benchmark mode for ../shared/bench: every client joins room general; \"chat message\" is "
                  "broadcast to its room"),
      number("--shutdown-grace", "CHAT_SHUTDOWN_GRACE_MS", &C::shutdown_grace_ms, 0, 3600000,
             "on SIGTERM: stop taking traffic, move clients away, finish in-flight work, exit within this (ms)"),
      number("--drain-delay", "CHAT_DRAIN_DELAY_MS", &C::drain_delay_ms, 0, 3600000,
             "on SIGTERM: keep serving this long with /readyz at 503 before moving clients away (ms)"),
      number("--store-startup-timeout", "CHAT_STORE_STARTUP_TIMEOUT_MS", &C::store_startup_timeout_ms, 0, 3600000,
             "at start, keep retrying a store that is not reachable yet (PostgreSQL still starting) this long, "
             "with backoff, before giving up (ms; 0: try once)"),
      mode_switch("--health-check", "", Mode::health_check,
                  "ask the chatd on HOST:PORT (loopback for 0.0.0.0) for /healthz; exit 0 (healthy) or 1 (for Docker)"),
      choice("--log-level", "LOG_LEVEL", &C::log_level, {"trace", "debug", "info", "warn", "error", "off"},
             "one of trace, debug, info, warn, error, off", "trace, debug, info, warn, error or off"),
      choice("--log-format", "LOG_FORMAT", &C::log_format, {"text", "json"}, "text or json",
             "text or json (one JSON object per line)"),
  };
}

}  // namespace

const std::vector<Option>& options() {
  static const std::vector<Option> table = make_options();
  return table;
}

std::string default_text(const Option& option) {
  const std::string value = option.show ? option.show(Config{}) : std::string();
  if (value.empty()) return option.note;
  if (!*option.note) return value;
  return value + " " + option.note;
}

}  // namespace dchat::config
