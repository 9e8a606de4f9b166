#include "app/chat_app.hpp"

#include <spdlog/spdlog.h>

#include <future>

#include "blob/db_blob_store.hpp"
#include "blob/fs_blob_store.hpp"
#include "chat/avatar_image.hpp"
#include "chat/cluster_presence.hpp"
#include "chat/message_rules.hpp"
#include "store/store_factory.hpp"

namespace dchat::app {

ChatApp::ChatApp(const config::Config& config, socketio::Server& io, http::Router& router, const std::string& exe_dir,
                 core::ShardPool& pool, Cluster* cluster) {
  auto factory = store::make_store_factory(config.database_url);
  store_ = std::make_unique<store::StoreExecutor>(factory, config.store_threads);
  spdlog::info("store: {}", store::describe_database_url(config.database_url));
  // Room "general" exists from the start (everyone is in it, as in the original).
  std::promise<store::StoreResult<bool>> general;
  store_->async_run<bool>(
      [](store::Store& s) {
        s.ensure_public_room("general", 0, chat::now_ms());
        return true;
      },
      [&general](store::StoreResult<bool> r) { general.set_value(std::move(r)); });
  if (auto r = general.get_future().get(); !r) throw std::runtime_error("cannot prepare the database: " + r.message);
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
    service_ = std::make_unique<chat::ChatService>(io.of("/"), *store_, *presence_);
    cluster_presence->on_remote_change([service = service_.get()](int64_t room) { service->broadcast_presence(room); });
    cluster_presence->start();
    cluster->bus->on_connection_change([service = service_.get()](bool connected, bool recovered) {
      if (connected && recovered) service->ask_clients_to_resync();
    });
  } else {
    presence_ = std::make_unique<chat::Presence>();
    service_ = std::make_unique<chat::ChatService>(io.of("/"), *store_, *presence_);
  }
  service_->install();
  chat::HttpApiOptions api_options;
  api_options.session_ttl = std::chrono::hours(config.session_ttl_hours);
  api_ = std::make_unique<chat::HttpApi>(*store_, *blobs_, *service_, api_options);
  api_->install(router);
  web_->install(router);
}

}  // namespace dchat::app
