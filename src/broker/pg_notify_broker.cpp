// PgNotifyBroker: LISTEN/NOTIFY over two libpq connections (see pg_notify_broker.hpp for the
// channel mapping and the payload table).
#include "broker/pg_notify_broker.hpp"

#include <libpq-fe.h>
#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <cstdio>

#include "broker/pg_connection.hpp"
#include "core/base64.hpp"

namespace dchat::broker {

namespace {

constexpr std::chrono::seconds kPruneInterval{60};

// Quoted identifier: double quotes around, inner quotes doubled.
std::string quote_ident(std::string_view name) {
  std::string q = "\"";
  for (char c : name) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + '"';
}

size_t base64_size(size_t n) { return (n + 2) / 3 * 4; }

// Created once per database; the advisory lock (held to the end of the implicit transaction of
// this multi-statement query) keeps replicas starting together from racing on CREATE TABLE.
constexpr const char* kCreateTable =
    "SELECT pg_advisory_xact_lock(7326128593417024263);"
    "CREATE TABLE IF NOT EXISTS broker_payloads ("
    "  id bigserial PRIMARY KEY,"
    "  channel text NOT NULL,"
    "  bytes bytea NOT NULL,"
    "  created_at timestamptz NOT NULL DEFAULT now());"
    "CREATE INDEX IF NOT EXISTS broker_payloads_created_at ON broker_payloads (created_at)";

}  // namespace

struct PgNotifyBroker::Pending {
  std::string notify_channel;
  std::string channel;
  std::string payload;
  bool ready = false;
  bool lost = false;  // its table row was gone (pruned) or unreadable
};

std::string PgNotifyBroker::notify_channel(std::string_view channel) {
  constexpr size_t kMaxIdentifier = 63;  // NAMEDATALEN - 1
  std::string name = "dchat." + std::string(channel);
  if (name.size() <= kMaxIdentifier) return name;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(channel.data(), channel.size(), md, &len, EVP_sha256(), nullptr);
  char hex[17];
  for (int i = 0; i < 8; ++i) std::snprintf(hex + 2 * i, 3, "%02x", md[i]);
  // "dchat.h." (8) + 38 + "." + 16 = 63
  return "dchat.h." + std::string(channel.substr(0, 38)) + "." + std::string(hex, 16);
}

PgNotifyBroker::PgNotifyBroker(std::string conninfo) : IoThreadBroker("postgres"), conninfo_(std::move(conninfo)) {}

PgNotifyBroker::~PgNotifyBroker() { stop(); }

void PgNotifyBroker::publish(std::string channel, std::string payload) {
  const size_t size = payload.size();
  if (!gate_.admit(channel, size, connected_.load())) return;
  boost::asio::post(thread_.io(), [this, channel = std::move(channel), payload = std::move(payload), size]() mutable {
    if (link_ != Link::up || !publisher_) {
      gate_.drop_queued(size);
      return;
    }
    auto done = [this, size](const PGresult* r, const std::string& error) {
      if (!r && link_ == Link::up) spdlog::warn("postgres broker: publish failed: {}", error);
      gate_.release(size, r != nullptr);
    };
    std::string nc = notify_channel(channel);
    if (1 + base64_size(size) <= kInlineLimit) {
      publisher_->query("SELECT pg_notify($1, $2)", {{std::move(nc)}, {"b" + core::base64_encode(payload)}}, false,
                        std::move(done));
    } else {
      // Too big for NOTIFY: store it and notify its id, in one statement (so in order).
      publisher_->query(
          "WITH ins AS (INSERT INTO broker_payloads (channel, bytes) VALUES ($3, $2) RETURNING id) "
          "SELECT pg_notify($1, 't' || id) FROM ins",
          {{std::move(nc)}, {std::move(payload), true}, {std::move(channel)}}, false, std::move(done));
    }
  });
}

void PgNotifyBroker::subscribe(std::string channel) {
  if (!gate_.check_channel(channel)) return;
  boost::asio::post(thread_.io(), [this, channel = std::move(channel)] {
    std::string nc = notify_channel(channel);
    if (!channels_.emplace(nc, channel).second) return;
    if (link_ == Link::up) listen(nc, true);
  });
}

void PgNotifyBroker::unsubscribe(std::string channel) {
  if (!valid_channel(channel)) return;
  boost::asio::post(thread_.io(), [this, channel = std::move(channel)] {
    const std::string nc = notify_channel(channel);
    if (channels_.erase(nc) == 0) return;  // deliveries stop here (on_notify, deliver_ready)
    if (link_ == Link::up) listen(nc, false);
  });
}

// ---- broker thread ----

void PgNotifyBroker::connect() {
  if (link_ == Link::stopped) return;
  link_ = Link::connecting;
  ready_ = 0;
  const uint64_t gen = ++generation_;
  auto on_ready = [this, gen] {
    if (gen == generation_ && ++ready_ == 2) on_connected();
  };
  auto on_lost = [this, gen](const std::string& why) {
    if (gen == generation_) link_down(why);
  };
  listener_ = std::make_unique<PgConnection>(thread_.io(), conninfo_, on_ready, on_lost,
                                             [this, gen](const std::string& nc, const std::string& payload) {
                                               if (gen == generation_) on_notify(nc, payload);
                                             });
  publisher_ = std::make_unique<PgConnection>(thread_.io(), conninfo_, on_ready, on_lost);
  listener_->connect();
  publisher_->connect();
}

void PgNotifyBroker::on_connected() {
  link_ = Link::up;
  backoff_.reset();
  if (ever_connected_) {
    gate_.count_reconnect();
    spdlog::info("postgres broker: reconnected");
  }
  ever_connected_ = true;
  publisher_->query_simple(kCreateTable, [](const PGresult* r, const std::string& error) {
    if (!r) spdlog::warn("postgres broker: cannot create broker_payloads (large payloads will fail): {}", error);
  });
  if (!channels_.empty()) {
    std::string sql;
    for (const auto& [nc, channel] : channels_) sql += "LISTEN " + quote_ident(nc) + ";";
    listener_->query_simple(std::move(sql), [](const PGresult* r, const std::string& error) {
      if (!r) spdlog::warn("postgres broker: LISTEN failed: {}", error);
    });
  }
  prune();
  connected_ = true;
  if (on_state_) on_state_(true);
}

void PgNotifyBroker::listen(const std::string& nc, bool on) {
  listener_->query_simple((on ? "LISTEN " : "UNLISTEN ") + quote_ident(nc),
                          [](const PGresult* r, const std::string& error) {
                            if (!r) spdlog::warn("postgres broker: LISTEN/UNLISTEN failed: {}", error);
                          });
}

void PgNotifyBroker::on_notify(const std::string& nc, const std::string& text) {
  auto it = channels_.find(nc);
  if (it == channels_.end() || text.empty()) return;
  auto p = std::make_shared<Pending>();
  p->notify_channel = nc;
  p->channel = it->second;
  if (text[0] == 'b') {
    auto bytes = core::base64_decode(std::string_view(text).substr(1));
    if (!bytes) return;  // not ours
    p->payload = std::move(*bytes);
    p->ready = true;
  } else if (text[0] == 't') {
    const uint64_t gen = generation_;
    listener_->query("SELECT bytes FROM broker_payloads WHERE id = $1", {{text.substr(1)}}, true,
                     [this, p, gen](const PGresult* r, const std::string& error) {
                       if (gen != generation_) return;
                       if (r && PQntuples(r) == 1) {
                         p->payload.assign(PQgetvalue(r, 0, 0), static_cast<size_t>(PQgetlength(r, 0, 0)));
                       } else {
                         p->lost = true;
                         gate_.count_dropped();
                         spdlog::warn("postgres broker: stored payload missing: {}", r ? "no row" : error);
                       }
                       p->ready = true;
                       deliver_ready();
                     });
  } else {
    return;
  }
  pending_.push_back(std::move(p));
  deliver_ready();
}

void PgNotifyBroker::deliver_ready() {
  // In notification order: a payload still being fetched holds back the ones behind it.
  while (!pending_.empty() && pending_.front()->ready) {
    std::shared_ptr<Pending> p = std::move(pending_.front());
    pending_.pop_front();
    if (p->lost || !channels_.contains(p->notify_channel)) continue;
    gate_.count_received();
    if (on_message_) on_message_(p->channel, p->payload);
    if (link_ != Link::up) return;  // the handler cannot stop us, but be safe
  }
}

void PgNotifyBroker::prune() {
  prune_timer_.expires_after(kPruneInterval);
  prune_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || link_ != Link::up) return;
    publisher_->query("DELETE FROM broker_payloads WHERE created_at < now() - make_interval(secs => $1)",
                      {{std::to_string(kPayloadRetention.count())}}, false,
                      [](const PGresult* r, const std::string& error) {
                        if (!r) spdlog::debug("postgres broker: pruning broker_payloads failed: {}", error);
                      });
    prune();
  });
}

void PgNotifyBroker::link_down(const std::string& why) {
  if (link_ != Link::connecting && link_ != Link::up) return;
  const bool was_up = link_ == Link::up;
  link_ = Link::waiting;
  connected_ = false;
  ++generation_;  // callbacks of the old connections are ignored from here
  prune_timer_.cancel();
  pending_.clear();
  listener_.reset();   // fails its queued statements
  publisher_.reset();  // queued publishes are counted as dropped
  if (was_up) {
    spdlog::warn("postgres broker: lost the connection: {}", why);
    if (on_state_) on_state_(false);
  } else {
    spdlog::debug("postgres broker: cannot connect: {}", why);
  }
  retry_timer_.expires_after(backoff_.next());
  retry_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) connect();
  });
}

void PgNotifyBroker::shutdown() {
  link_ = Link::stopped;
  connected_ = false;
  ++generation_;
  retry_timer_.cancel();
  prune_timer_.cancel();
  pending_.clear();
  listener_.reset();
  publisher_.reset();
}

}  // namespace dchat::broker
