#include "app/chat_app.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <thread>

#include "app/early_stop.hpp"
#include "blob/db_blob_store.hpp"
#include "blob/fs_blob_store.hpp"
#include "chat/attachment_blobs.hpp"
#include "chat/avatar_image.hpp"
#include "chat/cluster_presence.hpp"
#include "chat/message_rules.hpp"
#include "core/log_throttle.hpp"
#include "store/store_factory.hpp"

namespace dchat::app {

namespace {

chat::ChatLimits chat_limits(const config::Config& c) {
  chat::ChatLimits l;
  l.message_rate = c.message_rate;
  l.message_burst = c.message_burst;
  l.max_pending_per_connection = c.max_pending_per_connection;
  l.max_rooms_per_user = c.max_rooms_per_user;
  l.change_rate = c.change_rate;
  l.change_burst = c.change_burst;
  l.edit_window = std::chrono::seconds(c.edit_window_s);
  l.attachment_ttl = std::chrono::seconds(c.attachment_ttl_s);
  l.max_reaction_kinds = c.max_reaction_kinds;
  l.room_mention_max_members = c.room_mention_max_members;
  l.room_creations_per_hour = c.room_creations_per_hour;
  // A quarter of what one connection may have queued: an answer alone never makes a client
  // "slow", and never exceeds 1 MiB.
  l.answer_budget = std::min<size_t>(1u << 20, c.max_outbox_bytes / 4);
  l.overload_lag = std::chrono::milliseconds(c.overload_lag_ms);
  return l;
}

chat::SignInLimitOptions sign_in_limits(const config::Config& c) {
  chat::SignInLimitOptions l;
  l.attempts_per_minute = c.sign_ins_per_minute;
  l.sign_ups_per_hour = c.sign_ups_per_hour;
  l.sign_ups_per_minute_total = c.sign_ups_per_minute_total;
  return l;
}

}  // namespace

// Opens the store and prepares it: room "general" exists from the start (everyone is in it, as
// in the original), and the device cookies' key is one for all replicas (the first to start
// stores its candidate, the others read that one). Returns that key (hex).
//
// A database server that is not reachable yet (PostgreSQL still initialising on a first
// `kubectl apply` or `docker compose up`) is retried with backoff for
// CHAT_STORE_STARTUP_TIMEOUT_MS, instead of exiting at once and crash-looping. Nothing listens
// meanwhile: probes and load balancers see a replica that is not ready. SQLite is a local file:
// a failure there is a configuration problem, reported at once.
std::string ChatApp::open_store(const config::Config& config, const store::StoreExecutor::Factory& factory) {
  const bool retry = config.database_url.rfind("postgres", 0) == 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(config.store_startup_timeout_ms);
  auto backoff = std::chrono::milliseconds(250);
  for (int attempt = 1;; ++attempt) {
    std::string error;
    try {
      store_ = std::make_unique<store::StoreExecutor>(factory, config.store_threads,
                                                     store::StoreExecutor::kDefaultMaxQueue,
                                                     store::StoreExecutor::kMaxGroup,
                                                     std::chrono::microseconds(config.store_group_wait_us));
      std::promise<store::StoreResult<std::string>> prepared;
      store_->async_run<std::string>(
          [candidate = chat::DeviceCookies::new_key_hex()](store::Store& s) {
            s.ensure_public_room("general", 0, chat::now_ms());
            return s.shared_secret(chat::kDeviceKeyName, candidate);
          },
          [&prepared](store::StoreResult<std::string> r) { prepared.set_value(std::move(r)); });
      auto ready = prepared.get_future().get();
      if (ready) {
        if (attempt > 1) spdlog::info("store: reachable after {} attempts", attempt);
        return std::move(*ready.value);
      }
      if (ready.error != store::StoreError::Kind::unavailable)
        throw std::runtime_error("cannot prepare the database: " + ready.message);
      error = ready.message;
    } catch (const store::StoreError& e) {
      if (e.kind != store::StoreError::Kind::unavailable) throw;
      error = e.what();
    }
    store_.reset();
    const auto now = std::chrono::steady_clock::now();
    if (!retry || now >= deadline)
      throw std::runtime_error(fmt::format("cannot open the database{}: {}",
                                           retry ? fmt::format(" (tried {} times)", attempt) : "", error));
    // The last wait ends at the deadline, where one more attempt is made.
    const auto wait = std::min(backoff, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now));
    spdlog::warn("store: not reachable yet ({}); trying again in {} ms", error, wait.count());
    // In slices, so that SIGTERM (docker stop, a pod deleted while its database never came)
    // ends the wait at once.
    const auto until = std::chrono::steady_clock::now() + wait;
    while (std::chrono::steady_clock::now() < until) {
      if (early_stop_requested()) throw StoppedAtStart("stopped while waiting for the database");
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (early_stop_requested()) throw StoppedAtStart("stopped while waiting for the database");
    backoff = std::min<std::chrono::milliseconds>(backoff * 2, std::chrono::seconds(5));
  }
}

ChatApp::ChatApp(const config::Config& config, socketio::Server& io, http::Router& router, const std::string& exe_dir,
                 core::ShardPool& pool, Cluster* cluster) {
  lag_ = std::make_unique<core::LoopLag>(pool);
  lag_->start();
  auto factory = store::make_store_factory(config.database_url);
  spdlog::info("store: {}", store::describe_database_url(config.database_url));
  const std::string device_key_hex = open_store(config, factory);
  std::string device_key = chat::DeviceCookies::key_from_hex(device_key_hex);
  if (device_key.empty()) throw std::runtime_error("the database holds a malformed device cookie key");
  // Password hashing has its own threads and queue: a sign-in flood cannot occupy the store.
  hasher_ = std::make_unique<chat::PasswordHasher>(config.hash_threads, config.hash_queue);
  chat::init_image_library("chatd");
  if (config.blob_store == "db") {
    blobs_ = std::make_unique<blob::DbBlobStore>(factory);
    spdlog::info("uploads: in the database");
  } else {
    blobs_ = std::make_unique<blob::FsBlobStore>(config.upload_dir);
    spdlog::info("uploads: {}{}", config.upload_dir,
                 cluster ? " (every replica must see the same directory: a shared volume)" : "");
  }

  // Before anything registers with the cluster bus: what can still fail here fails first.
  web_ = std::make_unique<http::StaticFiles>(config.web_dir.empty() ? exe_dir + "/web" : config.web_dir);

  if (cluster) {
    auto presence = std::make_unique<chat::ClusterPresence>(*cluster->bus, pool.context(0),
                                                            std::chrono::milliseconds(config.cluster_heartbeat_ms));
    auto* cluster_presence = presence.get();
    presence_ = std::move(presence);
    service_ = std::make_unique<chat::ChatService>(io.of("/"), *store_, *presence_, chat_limits(config), lag_.get());
    cluster_presence->on_remote_change([service = service_.get()](int64_t room) { service->broadcast_presence(room); });
    cluster_presence->start();
    cluster->bus->on_connection_change([service = service_.get()](bool connected, bool recovered) {
      if (connected && recovered) service->ask_clients_to_resync();
    });
  } else {
    presence_ = std::make_unique<chat::Presence>();
    service_ = std::make_unique<chat::ChatService>(io.of("/"), *store_, *presence_, chat_limits(config), lag_.get());
  }
  service_->install();
  chat::HttpApiOptions api_options;
  api_options.session_ttl = std::chrono::milliseconds(static_cast<int64_t>(config.session_ttl_hours * 3600 * 1000));
  api_options.sign_in = sign_in_limits(config);
  api_options.device_key = std::move(device_key);
  api_options.max_attachment_bytes = config.max_attachment_bytes;
  api_options.max_unsent_attachments = config.max_unsent_attachments;
  attachment_ttl_ms_ = int64_t{config.attachment_ttl_s} * 1000;
  service_->set_blob_store(blobs_.get());
  api_ = std::make_unique<chat::HttpApi>(*store_, *hasher_, *blobs_, *service_, std::move(api_options));
  api_->install(router);
  web_->install(router);

  purge_timer_ = std::make_unique<boost::asio::steady_timer>(pool.context(0));
  purge_expired_sessions();
  index_timer_ = std::make_unique<boost::asio::steady_timer>(pool.context(0));
  // PostgreSQL indexes each message as it is written: nothing to run, so no writer job a second.
  if (store_->indexes_search_in_batches()) index_search();
}

ChatApp::~ChatApp() {
  lifeline_.cut();
  if (purge_timer_) purge_timer_->cancel();
  if (index_timer_) index_timer_->cancel();
}

// Expired sessions are refused anyway; deleting them keeps the table (and its index) from
// growing with every sign-in ever made. Every replica does it: the deletes are idempotent.
void ChatApp::purge_expired_sessions() {
  store_->async_run<size_t>([](store::Store& s) { return s.delete_expired_sessions(chat::now_ms()); },
                            lifeline_.guard([](store::StoreResult<size_t> r) {
                              if (r && *r.value > 0) spdlog::info("sessions: {} expired session(s) deleted", *r.value);
                            }));
  // Attachments uploaded and never sent: their rows and the blobs no other attachment uses.
  store_->async_run<size_t>(
      [blobs = blobs_.get(), ttl = attachment_ttl_ms_](store::Store& s) {
        // At most 1000 a round (one transaction stays short); more go next round.
        return chat::remove_unused_attachment_blobs(s, *blobs, s.remove_expired_attachments(chat::now_ms() - ttl, 1000));
      },
      lifeline_.guard([](store::StoreResult<size_t> r) {
        if (r && *r.value > 0) spdlog::info("attachments: {} blob(s) of unsent attachments deleted", *r.value);
      }));
  // Every hour, or every half TTL when unsent attachments expire sooner than in two hours.
  purge_timer_->expires_after(std::min<std::chrono::milliseconds>(
      std::chrono::hours(1), std::chrono::milliseconds(std::max<int64_t>(attachment_ttl_ms_ / 2, 1000))));
  purge_timer_->async_wait(lifeline_.guard([this](boost::system::error_code ec) {
    if (!ec) purge_expired_sessions();
  }));
}

// New messages reach the search index in batches, about once a second (Store::index_search);
// a search also brings it up to date first. A full batch means more are waiting: go on at once.
void ChatApp::index_search() {
  store_->async_write<size_t>([](store::Store& s) { return s.index_search(chat::kIndexBeforeSearch); },
                              lifeline_.guard([this](store::StoreResult<size_t> r) {
                                const bool behind = r && *r.value == chat::kIndexBeforeSearch;
                                if (!r) CHAT_LOG_THROTTLED(spdlog::level::warn, "search index: {}", r.message);
                                index_timer_->expires_after(behind ? std::chrono::milliseconds(0) : std::chrono::seconds(1));
                                index_timer_->async_wait(lifeline_.guard([this](boost::system::error_code ec) {
                                  if (!ec) index_search();
                                }));
                              }));
}

}  // namespace dchat::app
