// POST /api/avatar: a new avatar for the signed-in user (multipart/form-data, field "avatar").
// Taken in as http_api_uploads.cpp says (the limits shared with attachments); the image is
// decoded and re-encoded off the event loops (StoreExecutor), stored as two blobs, and announced
// to everyone sharing a room.
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "chat/avatar_image.hpp"
#include "chat/http_api_private.hpp"
#include "chat/views.hpp"
#include "core/log_throttle.hpp"
#include "http/api_responses.hpp"

namespace dchat::chat {

namespace {

// A stored avatar: the user as it is now, and the rooms to tell.
struct AvatarSaved {
  store::User user;
  std::vector<int64_t> rooms;
};
using AvatarResult = boost::system::result<AvatarSaved, AvatarError>;

}  // namespace

HttpApi::Awaitable HttpApi::upload_avatar(http::RequestContext& ctx) {
  auto start = co_await start_upload(ctx, bhttp::verb::post);
  if (start.refused) co_return *start.refused;
  auto file = co_await receive_file(ctx, start.user_id, start.slot, "avatar", options_.max_avatar_bytes, "avatar");
  if (file.refused) co_return *file.refused;
  co_return co_await store_avatar(ctx, start.user_id, std::move(file.bytes), std::move(start.slot));
}

HttpApi::Awaitable HttpApi::store_avatar(http::RequestContext& ctx, int64_t user_id, std::string bytes,
                                         std::shared_ptr<void> slot) {
  std::function<AvatarResult(Store&)> job = [this, uid = user_id, bytes = std::move(bytes)](Store& s) mutable -> AvatarResult {
    // Decoding and re-encoding is the only thing that leaves the upload: whatever the client
    // sent (name, metadata, polyglot tricks) never reaches the disk as is.
    auto processed = process_avatar(bytes);
    std::string().swap(bytes);  // the upload itself is not needed any more
    if (!processed) {
      if (!processed.detail.empty()) CHAT_LOG_THROTTLED(spdlog::level::info, "avatar: user {}: {}", uid, processed.detail);
      return processed.error;
    }
    const std::string large = blobs_.put(processed.large);
    const std::string small = blobs_.put(processed.small);
    s.set_avatar(uid, large, small);
    AvatarSaved saved{*s.find_user(uid), {}};
    for (const auto& room : s.rooms_of(uid)) saved.rooms.push_back(room.id);
    return saved;
  };
  auto r = co_await store_.async_run<AvatarResult>(std::move(job), asio::use_awaitable);
  slot.reset();
  if (!r) co_return co_await http::reply_error(ctx, Status::service_unavailable, "storage_unavailable", "try again");
  const AvatarResult& saved = *r.value;
  if (!saved) co_return co_await refuse_image(ctx, user_id, saved.error(), "avatar");
  json::object user = user_json(saved->user);
  chat_.announce_user_update(user, saved->rooms);
  json::value answer = json::object{{"user", std::move(user)}};
  co_return co_await http::reply_json(ctx, Status::ok, std::move(answer));
}

}  // namespace dchat::chat
