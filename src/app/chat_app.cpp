#include "app/chat_app.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <future>

#include "chat/message_rules.hpp"

#include "blob/fs_blob_store.hpp"
#include "chat/avatar_image.hpp"
#include "store/sqlite_store.hpp"

namespace dchat::app {

ChatApp::ChatApp(const config::Config& config, socketio::Server& io, http::Router& router, const std::string& exe_dir) {
  const std::string db_path = config.database_url.substr(std::string_view("sqlite:").size());
  store_ = std::make_unique<store::StoreExecutor>(
      [db_path]() -> std::unique_ptr<store::Store> { return std::make_unique<store::SqliteStore>(db_path); },
      config.store_threads);
  spdlog::info("store: SQLite at {}", db_path);
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
  blobs_ = std::make_unique<blob::FsBlobStore>(config.upload_dir);
  spdlog::info("uploads: {}", config.upload_dir);

  service_ = std::make_unique<chat::ChatService>(io.of("/"), *store_, presence_);
  service_->install();
  chat::HttpApiOptions api_options;
  api_options.session_ttl = std::chrono::hours(config.session_ttl_hours);
  api_ = std::make_unique<chat::HttpApi>(*store_, *blobs_, *service_, api_options);
  api_->install(router);
  web_ = std::make_unique<http::StaticFiles>(config.web_dir.empty() ? exe_dir + "/web" : config.web_dir);
  web_->install(router);
}

}  // namespace dchat::app
