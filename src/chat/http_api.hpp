#pragma once
// The chat's HTTP API (docs/CHAT_PROTOCOL.md): sign-in/out, the current user, rooms, history,
// avatar upload and avatar images. Every blocking step (password hashing, store, image
// processing, blob storage) runs on the StoreExecutor's workers.
#include "blob/blob_store.hpp"
#include "chat/chat_service.hpp"
#include "chat/rate_limiter.hpp"
#include "http/router.hpp"
#include "store/store_executor.hpp"

namespace dchat::chat {

struct HttpApiOptions {
  std::chrono::milliseconds session_ttl{std::chrono::hours(24 * 30)};  // sliding: renewed when less than half remains
  size_t max_avatar_bytes = 5u << 20;
};

class HttpApi {
 public:
  HttpApi(store::StoreExecutor& store, blob::BlobStore& blobs, ChatService& chat, HttpApiOptions options);
  void install(http::Router& router);

 private:
  using Awaitable = boost::asio::awaitable<http::Outcome>;
  Awaitable sign_in(http::RequestContext& ctx);
  Awaitable sign_out(http::RequestContext& ctx);
  Awaitable sign_out_everywhere(http::RequestContext& ctx);
  Awaitable me(http::RequestContext& ctx);
  Awaitable rooms(http::RequestContext& ctx);
  Awaitable room_messages(http::RequestContext& ctx);
  Awaitable upload_avatar(http::RequestContext& ctx);
  Awaitable avatar_image(http::RequestContext& ctx);
  Awaitable session_route(http::RequestContext& ctx);

  // The signed-in user of the request (renewing the session when due).
  struct Auth {
    bool store_ok = true;              // false: the store could not be asked
    std::optional<store::User> user;   // empty: not signed in
  };
  boost::asio::awaitable<Auth> current_user(http::RequestContext& ctx);
  // The answer for a request without a signed-in user: 503 when the store could not be asked,
  // 401 otherwise. Not a coroutine: its arguments are used before it returns.
  Awaitable refuse_anonymous(http::RequestContext& ctx, bool store_ok);

  store::StoreExecutor& store_;
  blob::BlobStore& blobs_;
  ChatService& chat_;
  HttpApiOptions options_;
  RateLimiter by_name_{5, std::chrono::seconds(60)};      // failed sign-ins per name
  RateLimiter by_address_{20, std::chrono::seconds(60)};  // failed sign-ins per client address
};

}  // namespace dchat::chat
