#pragma once
// Server configuration: every setting with its default next to it (the one place defaults are
// written: --help shows these, see config/options.hpp), read from the environment and then
// from command-line flags (flags win), validated at start-up.
#include <cstdint>
#include <string>
#include <vector>

namespace dchat::config {

enum class Mode { chat, conformance, bench, health_check };

struct Config {
  std::string host = "0.0.0.0";
  uint16_t port = 8888;
  size_t threads = 0;  // 0: one event loop per available CPU

  // Engine.IO
  uint32_t ping_interval_ms = 25000;
  uint32_t ping_timeout_ms = 20000;
  uint64_t max_payload = 1000000;      // bytes per message / polling request body
  // Socket.IO: time to connect to (and be authenticated for) a namespace. socket.io's default is
  // 45 s; a session that has not signed in within 10 s is closed, so unauthenticated sessions
  // cannot be held for long.
  uint32_t connect_timeout_ms = 10000;
  // Per-connection outbox bound: past it volatile packets are dropped and otherwise the slow
  // client is disconnected, so one stalled reader cannot grow the server's memory.
  size_t max_outbox_packets = 4096;
  size_t max_outbox_bytes = 8u << 20;
  // Origins allowed for cross-origin polling (CORS) and WebSocket upgrades; same-origin
  // requests and clients that send no Origin are always allowed. "*" allows any.
  std::vector<std::string> allowed_origins;

  // What one client (an address; IPv6 by /64; behind trusted proxies, the address they report)
  // and everyone together can make the server hold. See docs/SECURITY.md.
  std::vector<std::string> trusted_proxies;  // addresses/CIDRs whose X-Forwarded-* headers count
  size_t max_connections = 0;                // TCP connections in all; 0: from the descriptor limit
  size_t max_connections_per_client = 256;
  size_t max_sessions_per_client = 256;      // Engine.IO sessions (open sockets) per client
  uint32_t header_timeout_ms = 10000;        // to send a request's headers once it has started
  std::string metrics_token;                 // /metrics needs "Authorization: Bearer <token>"

  // Chat application
  std::string database_url = "sqlite:./data/chat.db";  // sqlite:PATH or postgres://...
  std::string upload_dir = "./uploads";                // avatars, content-addressed
  std::string blob_store = "fs";                       // fs (UPLOAD_DIR) or db (the database)
  std::string web_dir;                                 // empty: "web" next to the executable
  double session_ttl_hours = 24 * 30;                  // sliding expiry of sign-in sessions
  size_t store_threads = 4;                            // database and image workers
  // While messages arrive faster than one per this, the writer waits this long for more to
  // commit together (microseconds; 0: never waits). See StoreExecutor.
  uint32_t store_group_wait_us = 4000;
  // Sending and rooms, per user (all the user's connections together).
  uint32_t message_rate = 5;          // messages per second, sustained
  uint32_t message_burst = 20;        // messages at once after a quiet while
  size_t max_pending_per_connection = 32;  // requests of one connection waiting for the store
  // An event loop this far behind refuses new requests with "overloaded" (0: never).
  uint32_t overload_lag_ms = 250;
  size_t max_rooms_per_user = 200;    // rooms (public and direct) a user can be a member of
  // Changes to sent messages, per user: edits, deletes and reactions together.
  uint32_t change_rate = 5;           // changes per second, sustained
  uint32_t change_burst = 30;         // changes at once after a quiet while
  uint32_t edit_window_s = 15 * 60;   // how long after sending its author may edit a message
  uint32_t max_reaction_kinds = 20;   // different emoji on one message
  uint32_t room_mention_max_members = 100;  // @room works in rooms up to this size
  uint32_t room_creations_per_hour = 20;  // new public rooms per user per hour
  // Images attached to messages (POST /api/rooms/{id}/attachments).
  size_t max_attachment_bytes = 10u << 20;  // bytes of one upload
  size_t max_unsent_attachments = 20;       // uploaded and not sent yet, per user
  uint32_t attachment_ttl_s = 3600;         // an unsent upload is deleted after this long
  // Passwords: argon2id (64 MiB each) on its own small pool, so a sign-in flood cannot take
  // the store's workers; a full queue answers 503 at once.
  size_t hash_threads = 2;
  size_t hash_queue = 32;
  uint32_t sign_ins_per_minute = 20;      // sign-in attempts per client address
  uint32_t sign_ups_per_hour = 10;        // accounts created per client address
  uint32_t sign_ups_per_minute_total = 60;  // accounts created by everyone together

  // Cluster mode (many replicas): SCALABLE turns it on; the broker comes from BROKER or from
  // which of REDIS_HOST / NATS_HOST / RABBIT_HOST is set, as in the original.
  bool scalable = false;
  std::string broker;  // after load(): "" (one process), redis, nats, amqp, postgres or local
  std::string redis_host;
  uint16_t redis_port = 6379;
  std::string nats_host;
  uint16_t nats_port = 4222;
  std::string rabbit_host;
  uint16_t rabbit_port = 5672;
  std::string rabbit_user = "guest";
  std::string rabbit_password = "guest";
  std::string rabbit_vhost = "/";
  std::string replica_name;              // in logs and /metrics; default: the host name
  uint32_t cluster_heartbeat_ms = 2000;  // replicas missing 4 heartbeats count as gone
  // Sessions without sticky load balancing (issue #14): a request for a session another replica
  // holds is forwarded to it, over its internal listener (CHAT_CLUSTER_PORT, 0: any free port),
  // at the address it announces (CHAT_ADVERTISE_ADDRESS, default: its first non-loopback one).
  bool session_forwarding = true;
  uint16_t cluster_port = 0;
  std::string advertise_address;
  size_t max_forwards = 10000;  // forwarded requests and proxied WebSockets at once

  // SIGTERM: readiness goes false, new connections are refused, clients are told to reconnect
  // (elsewhere), in-flight work finishes; the process exits within this.
  uint32_t shutdown_grace_ms = 10000;
  // Before that: how long to keep serving while /readyz already says 503, so load balancers and
  // Kubernetes endpoints stop sending new clients first.
  uint32_t drain_delay_ms = 0;
  // At start: how long a store that does not answer yet (a database still initialising on a
  // first deployment) is retried before chatd gives up. Nothing listens meanwhile, so load
  // balancers and readiness probes see a replica that is not ready.
  uint32_t store_startup_timeout_ms = 60000;

  Mode mode = Mode::chat;
  std::string log_level = "info";
  std::string log_format = "text";
};

struct ParseOutcome {
  bool ok = true;
  bool exit_now = false;  // --help was printed
  std::vector<std::string> errors;
  std::vector<std::string> warnings;
};

// Reads the environment, then argv. Conformance mode applies the official test suites'
// settings (port 3000, pingInterval 300, pingTimeout 200, connectTimeout 1000) unless a flag
// sets them explicitly.
ParseOutcome load(int argc, char** argv, Config& config);

std::string help_text();

}  // namespace dchat::config
