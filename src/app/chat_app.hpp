#pragma once
// The chat application wired together: store (SQLite by DATABASE_URL), blob store (UPLOAD_DIR),
// presence, the Socket.IO handlers, the HTTP API and the web UI.
#include <memory>

#include "blob/blob_store.hpp"
#include "chat/chat_service.hpp"
#include "chat/http_api.hpp"
#include "chat/presence.hpp"
#include "config/config.hpp"
#include "http/static_files.hpp"
#include "store/store_executor.hpp"

namespace dchat::app {

class ChatApp {
 public:
  // Throws with a clear message when the database or the upload directory cannot be used.
  ChatApp(const config::Config& config, socketio::Server& io, http::Router& router, const std::string& exe_dir);

 private:
  std::unique_ptr<store::StoreExecutor> store_;
  std::unique_ptr<blob::BlobStore> blobs_;
  chat::Presence presence_;
  std::unique_ptr<chat::ChatService> service_;
  std::unique_ptr<chat::HttpApi> api_;
  std::unique_ptr<http::StaticFiles> web_;
};

}  // namespace dchat::app
