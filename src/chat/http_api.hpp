#pragma once
// The chat's HTTP API (docs/CHAT_PROTOCOL.md): sign-in/out, the current user, rooms, history,
// avatar upload and avatar images, image attachments. Every blocking step runs off the event
// loops: password hashing on the PasswordHasher's own pool, the store, image processing and blob
// storage on the StoreExecutor's workers. Sign-in (http_api_sign_in.cpp) is limited as
// docs/SECURITY.md says; avatar uploads are in http_api_avatar.cpp, attachments in
// http_api_attachments.cpp, the steps they share in http_api_uploads.cpp.
#include "blob/blob_store.hpp"
#include "chat/avatar_image.hpp"
#include "chat/chat_service.hpp"
#include "chat/device_cookie.hpp"
#include "chat/password_hasher.hpp"
#include "chat/sign_in_limits.hpp"
#include "core/concurrency_limiter.hpp"
#include "http/responses.hpp"
#include "http/router.hpp"
#include "store/store_executor.hpp"

namespace dchat::chat {

struct HttpApiOptions {
  std::chrono::milliseconds session_ttl{std::chrono::hours(24 * 30)};  // sliding: renewed when less than half remains
  size_t max_avatar_bytes = 5u << 20;
  size_t max_attachment_bytes = 10u << 20;  // one image attached to a message (CHAT_MAX_ATTACHMENT_BYTES)
  size_t max_unsent_attachments = 20;       // uploaded and not sent, per user (CHAT_MAX_UNSENT_ATTACHMENTS)
  // How fast an upload's body must arrive (docs/SECURITY.md, "Uploads"): 16 KiB every 10 s.
  http::BodyPace upload_pace{};
  SignInLimitOptions sign_in;
  std::string device_key;  // 32 bytes every replica shares (Store::shared_secret)
};

class HttpApi {
 public:
  HttpApi(store::StoreExecutor& store, PasswordHasher& hasher, blob::BlobStore& blobs, ChatService& chat,
          HttpApiOptions options);
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
  // Processes and stores an avatar (http_api_avatar.cpp). `slot`: the upload's lease of
  // user_uploads_ and its decode slot, given back before the answer is written.
  Awaitable store_avatar(http::RequestContext& ctx, int64_t user_id, std::string bytes, std::shared_ptr<void> slot);
  Awaitable avatar_image(http::RequestContext& ctx);
  // Attachments (http_api_attachments.cpp).
  Awaitable upload_attachment(http::RequestContext& ctx, int64_t room_id);
  Awaitable attachment_image(http::RequestContext& ctx);
  // DELETE /api/attachments/{id}: the caller's own unsent upload.
  Awaitable delete_attachment(http::RequestContext& ctx, std::string id);
  Awaitable session_route(http::RequestContext& ctx);

  // Steps both upload routes take (http_api_uploads.cpp). Each has answered the request when
  // `refused` is set (the route returns that outcome).
  struct UploadStart {
    std::optional<http::Outcome> refused;
    int64_t user_id = 0;
    std::shared_ptr<void> slot;  // the user's lease of user_uploads_
  };
  // `method`, same origin, a signed-in user, and the user's upload slot.
  boost::asio::awaitable<UploadStart> start_upload(http::RequestContext& ctx, boost::beast::http::verb method);
  struct ReceivedFile {
    std::optional<http::Outcome> refused;
    std::string bytes;  // the file part's bytes
  };
  // Reads the multipart body (at the upload pace, under upload_reads_) and takes the file part
  // named `field` (at most `max_bytes`) out of it, then a decode slot, which joins `slot`.
  // `what` names the upload in logs ("avatar", "attachment"). Refused: `slot` is given back
  // before the answer is written.
  boost::asio::awaitable<ReceivedFile> receive_file(http::RequestContext& ctx, int64_t user_id,
                                                    std::shared_ptr<void>& slot, std::string field, size_t max_bytes,
                                                    std::string what);
  // The answer for an image the pipeline refused (415, 413 or 400). Not a coroutine.
  Awaitable refuse_image(http::RequestContext& ctx, int64_t user_id, AvatarError error, std::string_view what);

  // The signed-in user of the request (renewing the session when due).
  struct Auth {
    bool store_ok = true;              // false: the store could not be asked
    std::optional<store::User> user;   // empty: not signed in
  };
  boost::asio::awaitable<Auth> current_user(http::RequestContext& ctx);
  // The answer for a request without a signed-in user: 503 when the store could not be asked,
  // 401 otherwise. Not a coroutine: its arguments are used before it returns.
  Awaitable refuse_anonymous(http::RequestContext& ctx, bool store_ok);

  // Sign-in steps (http_api_sign_in.cpp).
  struct SignInRequest {
    std::string name;      // as the name rules left it
    std::string password;
    std::string address;   // the client's limit key
    std::optional<Device> device;  // the device cookie presented, when valid
  };
  struct NewAccount {
    std::optional<store::User> user;              // made, with its first session:
    std::string token;
    std::optional<store::UserCredentials> taken;  // the name was taken meanwhile: that account
    bool looks_taken = false;                     // another account's name looks the same
  };
  Awaitable sign_up(http::RequestContext& ctx, SignInRequest request);
  Awaitable check_password(http::RequestContext& ctx, SignInRequest request, store::UserCredentials creds);
  Awaitable signed_in(http::RequestContext& ctx, store::User user, std::string token, bool created,
                      std::string device_nonce);
  boost::asio::awaitable<store::StoreResult<std::optional<store::UserCredentials>>> find_credentials(std::string name);
  boost::asio::awaitable<store::StoreResult<NewAccount>> create_account(std::string name, std::string password_hash);
  boost::asio::awaitable<store::StoreResult<std::string>> start_session(int64_t user_id);
  std::optional<Device> presented_device(const http::RequestContext& ctx) const;
  // 429 rate_limited / 503 overloaded with Retry-After. Not coroutines (see refuse_anonymous).
  Awaitable refuse_sign_in(http::RequestContext& ctx, boost::beast::http::status status, std::string_view code,
                           std::string_view message, std::chrono::seconds retry_after);
  Awaitable store_refusal(http::RequestContext& ctx, store::StoreError::Kind kind);
  Awaitable hasher_refusal(http::RequestContext& ctx, HashRefusal refusal);

  store::StoreExecutor& store_;
  PasswordHasher& hasher_;
  blob::BlobStore& blobs_;
  ChatService& chat_;
  HttpApiOptions options_;
  SignInLimits limits_;
  DeviceCookies devices_;
  // Uploads (avatars and attachments), in the order they are taken (http_api_uploads.cpp):
  // one per user from the request's start to its answer (the total only bounds the map);
  static constexpr size_t kUserUploads = 4096;
  core::ConcurrencyLimiter user_uploads_{kUserUploads, 1};
  // bodies being read, each up to its size limit in memory: per client address, and in all;
  static constexpr size_t kUploadReads = 16;
  static constexpr size_t kUploadReadsPerAddress = 4;
  core::ConcurrencyLimiter upload_reads_{kUploadReads, kUploadReadsPerAddress};
  // images being decoded, each on a store worker: decode_slots(the store's workers) at once.
  static constexpr size_t kMaxDecodes = 2;
  static size_t decode_slots(size_t store_threads);
  core::ConcurrencyLimiter decodes_;
};

}  // namespace dchat::chat
