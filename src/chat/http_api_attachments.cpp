// Image attachments: POST /api/rooms/{id}/attachments (multipart/form-data, field "file"; taken
// in as http_api_uploads.cpp says), GET /api/attachments/{id} and /api/attachments/{id}/thumb,
// and DELETE /api/attachments/{id} (an unsent upload, by its uploader). An upload goes through
// the avatar pipeline (chat/avatar_image.hpp: type from the bytes, pixel limits from the header,
// re-encoded to WebP without metadata) and is kept as two content-addressed blobs plus a row with
// a random id; message:send then attaches it. Every read checks who asks: the uploader before it
// is sent, then anyone who may read its room (a public room: every signed-in user; a
// conversation: its two members); anyone else gets the same 404 as for an unknown id.
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "chat/attachment_blobs.hpp"
#include "chat/attachment_id.hpp"
#include "chat/avatar_image.hpp"
#include "chat/http_api_private.hpp"
#include "chat/message_rules.hpp"
#include "chat/views.hpp"
#include "core/log_throttle.hpp"
#include "core/metrics.hpp"
#include "http/api_responses.hpp"
#include "http/request_checks.hpp"

namespace dchat::chat {

namespace {

// May the user upload to the room? Asked before a byte of the body is read, and again before the
// row is stored (where Store::create_attachment has the last word on the unsent count).
enum class UploadCheck { ok, no_room, not_member, too_many_unsent };

UploadCheck check_upload(Store& s, int64_t user, int64_t room_id, size_t max_unsent) {
  const auto room = s.find_room(room_id);
  if (!room) return UploadCheck::no_room;
  if (!s.is_member(room_id, user))
    // Someone else's conversation is answered as if it did not exist: nothing leaks.
    return room->kind == store::RoomKind::direct ? UploadCheck::no_room : UploadCheck::not_member;
  if (s.count_unsent_attachments(user) >= max_unsent) return UploadCheck::too_many_unsent;
  return UploadCheck::ok;
}

struct Uploaded {
  UploadCheck check = UploadCheck::ok;
  AvatarError error = AvatarError::none;
  store::Attachment attachment;
};

}  // namespace

HttpApi::Awaitable HttpApi::upload_attachment(http::RequestContext& ctx, int64_t room_id) {
  auto start = co_await start_upload(ctx, bhttp::verb::post);
  if (start.refused) co_return *start.refused;
  const int64_t uid = start.user_id;
  std::shared_ptr<void> lease = std::move(start.slot);

  const size_t max_unsent = options_.max_unsent_attachments;
  {
    std::function<UploadCheck(Store&)> job = [uid, room_id, max_unsent](Store& s) {
      return check_upload(s, uid, room_id, max_unsent);
    };
    auto r = co_await store_.async_run<UploadCheck>(std::move(job), asio::use_awaitable);
    if (!r) {
      lease.reset();
      co_return co_await http::reply_error(ctx, Status::service_unavailable, "storage_unavailable", "try again");
    }
    switch (*r.value) {
      case UploadCheck::ok: break;
      case UploadCheck::no_room:
        lease.reset();
        co_return co_await http::reply_error(ctx, Status::not_found, "not_found", "no such room");
      case UploadCheck::not_member:
        lease.reset();
        co_return co_await http::reply_error(ctx, Status::forbidden, "forbidden", "you are not a member of this room");
      case UploadCheck::too_many_unsent:
        lease.reset();
        core::metrics().rate_limited.inc();
        co_return co_await http::reply_error(
            ctx, Status::too_many_requests, "rate_limited",
            "you have " + std::to_string(max_unsent) + " images uploaded and not sent: send or wait for them to expire");
    }
  }

  auto file = co_await receive_file(ctx, uid, lease, "file", options_.max_attachment_bytes, "attachment");
  if (file.refused) co_return *file.refused;

  std::function<Uploaded(Store&)> job = [this, uid, room_id, max_unsent,
                                         bytes = std::move(file.bytes)](Store& s) mutable -> Uploaded {
    Uploaded out;
    // Decoding and re-encoding is the only thing that leaves the upload: whatever the client
    // sent (name, metadata, polyglot tricks) never reaches the disk as is.
    auto images = process_attachment(bytes);
    std::string().swap(bytes);  // the upload itself is not needed any more
    if (!images) {
      if (!images.detail.empty()) CHAT_LOG_THROTTLED(spdlog::level::info, "attachment: user {}: {}", uid, images.detail);
      out.error = images.error;
      return out;
    }
    // Asked again: the room or the membership may have gone while the body was read.
    out.check = check_upload(s, uid, room_id, max_unsent);
    if (out.check != UploadCheck::ok) return out;
    store::Attachment& a = out.attachment;
    a.id = new_attachment_id();
    a.room_id = room_id;
    a.uploader_id = uid;
    a.width = images.width;
    a.height = images.height;
    a.thumb_width = images.thumb_width;
    a.thumb_height = images.thumb_height;
    a.bytes = static_cast<int64_t>(images.full.size());
    a.created_at = now_ms();
    // Blobs first, then the row: a row never names a blob that is not stored.
    a.blob = blobs_.put_attachment(images.full);
    a.thumb_blob = blobs_.put_attachment(images.thumb);
    if (!s.create_attachment(a, max_unsent)) {
      // Another upload of this user (on any replica) took the last place meanwhile.
      remove_unused_attachment_blobs(s, blobs_, {a.blob, a.thumb_blob});
      out.check = UploadCheck::too_many_unsent;
      return out;
    }
    // Put again now that the row is committed: the same bytes' blob may have been removed since
    // the put above, by whoever removed its last other user (chat/attachment_blobs.hpp). Only
    // writes when the file is missing.
    blobs_.put_attachment(images.full);
    blobs_.put_attachment(images.thumb);
    return out;
  };
  auto r = co_await store_.async_run<Uploaded>(std::move(job), asio::use_awaitable);
  lease.reset();
  if (!r) co_return co_await http::reply_error(ctx, Status::service_unavailable, "storage_unavailable", "try again");
  const Uploaded& up = *r.value;
  if (up.error != AvatarError::none) co_return co_await refuse_image(ctx, uid, up.error, "attachment");
  switch (up.check) {
    case UploadCheck::ok: break;
    case UploadCheck::no_room:
      co_return co_await http::reply_error(ctx, Status::not_found, "not_found", "no such room");
    case UploadCheck::not_member:
      co_return co_await http::reply_error(ctx, Status::forbidden, "forbidden", "you are not a member of this room");
    case UploadCheck::too_many_unsent:
      co_return co_await http::reply_error(ctx, Status::too_many_requests, "rate_limited",
                                           "too many images uploaded and not sent");
  }
  json::value answer = json::object{{"attachment", attachment_json(up.attachment.view())}};
  co_return co_await http::reply_json(ctx, Status::created, std::move(answer));
}

HttpApi::Awaitable HttpApi::attachment_image(http::RequestContext& ctx) {
  // /api/attachments/{id} (the full image) or /api/attachments/{id}/thumb.
  constexpr std::string_view kPrefix = "/api/attachments/";
  std::string_view rest = ctx.path.starts_with(kPrefix) ? ctx.path.substr(kPrefix.size()) : std::string_view{};
  const size_t slash = rest.find('/');
  const std::string_view id_text = rest.substr(0, slash);
  const std::string_view variant = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
  if (!is_attachment_id(id_text) || (slash != std::string_view::npos && variant != "thumb"))
    co_return co_await http::reply_error(ctx, Status::not_found, "not_found", "no such attachment");
  const auto method = ctx.parser.get().method();
  if (method == bhttp::verb::delete_ && variant.empty()) co_return co_await delete_attachment(ctx, std::string(id_text));
  if (method != bhttp::verb::get && method != bhttp::verb::head)
    co_return co_await http::reply_error(ctx, Status::method_not_allowed, "bad_request", "use GET");
  const auto auth = co_await current_user(ctx);
  if (!auth.user) co_return co_await refuse_anonymous(ctx, auth.store_ok);
  const bool thumb = variant == "thumb";
  std::function<std::optional<std::string>(Store&)> job =
      [this, uid = auth.user->id, id = std::string(id_text), thumb](Store& s) -> std::optional<std::string> {
    const auto a = s.find_attachment(id);
    if (!a) return std::nullopt;
    if (a->seq == 0) {
      // Not sent yet: its uploader's only.
      if (a->uploader_id != uid) return std::nullopt;
    } else {
      // Whoever may read its room: a public room's messages are for every signed-in user, a
      // conversation's for its two members.
      const auto room = s.find_room(a->room_id);
      if (!room) return std::nullopt;
      if (room->kind == store::RoomKind::direct && !s.is_member(a->room_id, uid)) return std::nullopt;
    }
    return blobs_.get(thumb ? a->thumb_blob : a->blob);
  };
  auto r = co_await store_.async_run<std::optional<std::string>>(std::move(job), asio::use_awaitable);
  if (!r) co_return co_await http::reply_error(ctx, Status::service_unavailable, "storage_unavailable", "try again");
  if (!*r.value) co_return co_await http::reply_error(ctx, Status::not_found, "not_found", "no such attachment");
  const auto& req = ctx.parser.get();
  auto res = http::make_response(req, Status::ok, std::move(**r.value), "image/webp");
  // An attachment's bytes never change; only the browser of someone allowed to see it keeps them.
  res.set(bhttp::field::cache_control, "private, max-age=31536000, immutable");
  res.set(bhttp::field::content_disposition, "inline");
  res.set("Content-Security-Policy", "default-src 'none'; sandbox");
  const bool ok = co_await http::write_response(ctx, res);
  co_return ok && res.keep_alive() ? Outcome::keep_alive : Outcome::close;
}

HttpApi::Awaitable HttpApi::delete_attachment(http::RequestContext& ctx, std::string id) {
  // As an upload: same origin, signed in, and the user's one upload slot (a client cannot
  // withdraw faster than it uploads).
  auto start = co_await start_upload(ctx, bhttp::verb::delete_);
  if (start.refused) co_return *start.refused;
  std::function<bool(Store&)> job = [this, uid = start.user_id, id = std::move(id)](Store& s) {
    // Only the caller's own, and only unsent: a sent one goes with its message (message:delete).
    auto unused = s.remove_unsent_attachment(id, uid);
    if (!unused) return false;
    remove_unused_attachment_blobs(s, blobs_, *unused);
    return true;
  };
  auto r = co_await store_.async_run<bool>(std::move(job), asio::use_awaitable);
  start.slot.reset();
  if (!r) co_return co_await http::reply_error(ctx, Status::service_unavailable, "storage_unavailable", "try again");
  // Unknown, someone else's and already sent all look the same.
  if (!*r.value) co_return co_await http::reply_error(ctx, Status::not_found, "not_found", "no such attachment");
  auto res = http::make_response(ctx.parser.get(), Status::no_content, "", "application/json");
  const bool ok = co_await http::write_response(ctx, res);
  co_return ok && res.keep_alive() ? Outcome::keep_alive : Outcome::close;
}

}  // namespace dchat::chat
