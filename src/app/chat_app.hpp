#pragma once
// The chat application wired together: store (SQLite or PostgreSQL by DATABASE_URL), blob store
// (UPLOAD_DIR or the database by BLOB_STORE), presence (cluster-wide in cluster mode), the
// Socket.IO handlers, the HTTP API and the web UI.
#include <memory>
#include <string>

#include "app/cluster_setup.hpp"
#include "blob/blob_store.hpp"
#include "chat/chat_service.hpp"
#include "chat/http_api.hpp"
#include "chat/presence.hpp"
#include "config/config.hpp"
#include "core/lifeline.hpp"
#include "core/loop_lag.hpp"

#include <boost/asio/steady_timer.hpp>
#include "http/static_files.hpp"
#include "store/store_executor.hpp"

namespace dchat::app {

class ChatApp {
 public:
  // Throws with a clear message when the database or the upload directory cannot be used.
  // `cluster` is null for one process.
  ChatApp(const config::Config& config, socketio::Server& io, http::Router& router, const std::string& exe_dir,
          core::ShardPool& pool, Cluster* cluster);

  ~ChatApp();

  store::StoreExecutor& store() { return *store_; }
  chat::PasswordHasher& hasher() { return *hasher_; }
  const chat::Presence& presence() const { return *presence_; }
  const core::LoopLag& lag() const { return *lag_; }

 private:
  std::unique_ptr<core::LoopLag> lag_;
  std::unique_ptr<store::StoreExecutor> store_;
  std::unique_ptr<chat::PasswordHasher> hasher_;  // before api_: the API is destroyed first
  std::unique_ptr<blob::BlobStore> blobs_;
  int64_t attachment_ttl_ms_ = 3'600'000;
  std::unique_ptr<chat::Presence> presence_;
  std::unique_ptr<chat::ChatService> service_;
  std::unique_ptr<chat::HttpApi> api_;
  std::unique_ptr<http::StaticFiles> web_;
  std::unique_ptr<boost::asio::steady_timer> purge_timer_;
  std::unique_ptr<boost::asio::steady_timer> index_timer_;
  core::Lifeline lifeline_;

  void purge_expired_sessions();
  void index_search();
  std::string open_store(const config::Config& config, const store::StoreExecutor::Factory& factory);
};

}  // namespace dchat::app
