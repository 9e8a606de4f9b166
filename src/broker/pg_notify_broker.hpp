#pragma once
// Broker over PostgreSQL LISTEN/NOTIFY (libpq in non-blocking mode on a private io_context and
// thread).
//
// Mapping:
// - a channel becomes the NOTIFY channel "dchat.<channel>" when that fits PostgreSQL's 63-byte
//   identifier limit, otherwise "dchat.h.<first 38 bytes>.<16 hex digits of its SHA-256>";
//   LISTEN/UNLISTEN quote it (PQescapeIdentifier), publishing uses pg_notify($1, $2).
// - NOTIFY payloads are text of fewer than 8000 bytes, so a payload is sent as "b" + base64 when
//   that fits in kInlineLimit characters; a larger one is stored in the table broker_payloads
//   (id bigserial, channel, bytes bytea, created_at) by the same statement that notifies
//   "t" + id, and each receiver reads it back by id (binary result). Rows older than
//   kPayloadRetention are deleted every minute by every publisher; the table is created on the
//   first connection (under an advisory lock, so replicas starting together do not collide).
// - receivers deliver in notification order: a notification waiting for its table row holds
//   back the ones behind it.
//
// Two connections: one LISTENs (and fetches stored payloads), one publishes (and prunes).
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <string>

#include "broker/backoff.hpp"
#include "broker/io_thread_broker.hpp"

namespace dchat::broker {

class PgConnection;

class PgNotifyBroker final : public IoThreadBroker {
 public:
  static constexpr size_t kInlineLimit = 7900;  // characters of an inline NOTIFY payload
  static constexpr std::chrono::seconds kPayloadRetention{300};

  // conninfo: anything libpq's PQconnectStart accepts: "postgres://user@host:port/db" or
  // "host=... port=... dbname=...".
  explicit PgNotifyBroker(std::string conninfo);
  ~PgNotifyBroker() override;

  void publish(std::string channel, std::string payload) override;
  void subscribe(std::string channel) override;
  void unsubscribe(std::string channel) override;

  // The NOTIFY channel (an identifier of at most 63 bytes) that carries `channel`.
  static std::string notify_channel(std::string_view channel);

 private:
  enum class Link { idle, connecting, up, waiting, stopped };
  struct Pending;  // a received notification waiting to be delivered in order

  void connect() override;
  void on_connected();
  void link_down(const std::string& why);
  void shutdown() override;
  void listen(const std::string& channel, bool on);
  void on_notify(const std::string& notify_channel, const std::string& payload);
  void deliver_ready();
  void prune();

  const std::string conninfo_;

  // Broker thread only.
  std::map<std::string, std::string> channels_;  // NOTIFY channel -> application channel
  std::unique_ptr<PgConnection> listener_, publisher_;
  int ready_ = 0;  // connections ready in the current attempt
  Link link_ = Link::idle;
  bool ever_connected_ = false;
  uint64_t generation_ = 0;  // bumped on every link change; stale callbacks compare it
  std::deque<std::shared_ptr<Pending>> pending_;
  Backoff backoff_;
  boost::asio::steady_timer retry_timer_{thread_.io()};
  boost::asio::steady_timer prune_timer_{thread_.io()};
};

}  // namespace dchat::broker
