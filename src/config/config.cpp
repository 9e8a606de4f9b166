#include "config/config.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cstdlib>
#include <cstring>
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
      {"--connect-timeout", "CHAT_CONNECT_TIMEOUT_MS", "45000", "time for a client to join a namespace (ms)",
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
         return parse_number<size_t>(v, c.max_outbox_bytes, 4096, size_t(1) << 32, "CHAT_MAX_OUTBOX_BYTES");
       }},
      {"--allowed-origins", "CHAT_ALLOWED_ORIGINS", "(none: same origin only)",
       "comma-separated origins allowed cross-origin (CORS, WebSocket); * for any",
       [](Config& c, std::string_view v) {
         c.allowed_origins = split_list(v);
         return std::string();
       }},
      {"--database-url", "DATABASE_URL", "sqlite:./data/chat.db", "where the chat is stored: sqlite:PATH",
       [](Config& c, std::string_view v) {
         if (!v.starts_with("sqlite:") || v.size() == 7)
           return fmt::format("DATABASE_URL must look like sqlite:PATH (got \"{}\")", v);
         c.database_url = std::string(v);
         return std::string();
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
         return parse_number<uint32_t>(v, c.session_ttl_hours, 1, 24 * 365, "CHAT_SESSION_TTL_HOURS");
       }},
      {"--store-threads", "CHAT_STORE_THREADS", "4", "worker threads for the database, hashing and images",
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

}  // namespace

std::string help_text() {
  Explicit set;
  std::string out =
      "chatd: real-time chat server (Engine.IO v4 / Socket.IO v5)\n\n"
      "Usage: chatd [flags]\n\n"
      "Every flag can also be given as an environment variable; flags win.\n\n";
  out += fmt::format("  {:<24} {:<26} {:<26} {}\n", "flag", "environment", "default", "meaning");
  for (const auto& o : options(set)) {
    out += fmt::format("  {:<24} {:<26} {:<26} {}\n", std::string(o.flag) + (o.is_switch ? "" : " VALUE"), o.env,
                       o.default_text, o.help);
  }
  out += fmt::format("  {:<24} {:<26} {:<26} {}\n", "--help", "", "", "print this help and exit");
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
  outcome.ok = outcome.errors.empty();
  return outcome;
}

}  // namespace dchat::config
