// POST /api/avatar: a new avatar for the signed-in user (multipart/form-data, field "avatar").
// One upload at a time per user and a few in all; the image is decoded and re-encoded off the
// event loops (StoreExecutor), stored as two blobs, and announced to everyone sharing a room.
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "chat/avatar_image.hpp"
#include "chat/http_api_private.hpp"
#include "chat/views.hpp"
#include "core/log_throttle.hpp"
#include "core/metrics.hpp"
#include "http/api_responses.hpp"
#include "http/multipart.hpp"
#include "http/request_checks.hpp"

namespace dchat::chat {

namespace {

// Collects the `avatar` file part (the parser already bounds its size); other parts are ignored.
class AvatarSink : public http::MultipartSink {
 public:
  void on_part_begin(const http::MultipartPart& part) override {
    in_avatar_ = part.name == "avatar" && part.has_filename && !found_;
    if (in_avatar_) found_ = true;
  }
  void on_part_data(std::string_view bytes) override {
    if (in_avatar_) data_.append(bytes);
  }
  void on_part_end() override { in_avatar_ = false; }
  bool found() const { return found_; }
  std::string take() { return std::move(data_); }

 private:
  bool in_avatar_ = false;
  bool found_ = false;
  std::string data_;
};

// A stored avatar: the user as it is now, and the rooms to tell.
struct AvatarSaved {
  store::User user;
  std::vector<int64_t> rooms;
};
using AvatarResult = boost::system::result<AvatarSaved, AvatarError>;

Status status_of(AvatarError error) {
  switch (error) {
    case AvatarError::unsupported_type: return Status::unsupported_media_type;
    case AvatarError::too_large_dimensions: return Status::payload_too_large;
    default: return Status::bad_request;
  }
}

const char* code_of(AvatarError error) {
  switch (error) {
    case AvatarError::unsupported_type: return "unsupported_type";
    case AvatarError::too_large_dimensions: return "too_large";
    default: return "bad_upload";
  }
}

}  // namespace

HttpApi::Awaitable HttpApi::upload_avatar(http::RequestContext& ctx) {
  const auto& req = ctx.parser.get();
  if (req.method() != bhttp::verb::post)
    co_return co_await http::reply_error(ctx, Status::method_not_allowed, "bad_request", "use POST");
  if (!http::same_origin(req, ctx.client.https))
    co_return co_await http::reply_error(ctx, Status::forbidden, "forbidden", "cross-site request refused");
  const auto auth = co_await current_user(ctx);
  if (!auth.user) co_return co_await refuse_anonymous(ctx, auth.store_ok);

  // An upload holds up to 5 MiB of body and, while it is decoded, up to 40 megapixels: one at a
  // time per user, and a few in all (taken before the body is read, given back just before the
  // answer is written, so a client that sends its next upload as soon as it has read the answer
  // is never refused).
  const auto slot = avatar_jobs_.acquire(std::to_string(auth.user->id));
  if (!slot.lease) {
    const bool mine = slot.refusal == core::ConcurrencyLimiter::Refusal::per_client;
    (mine ? core::metrics().rate_limited : core::metrics().overloaded).inc();
    json::object body{{"error", mine ? "rate_limited" : "overloaded"},
                      {"message", mine ? "your previous upload is still being processed" : "too many uploads at once, try again"}};
    std::vector<std::pair<std::string, std::string>> headers;
    headers.emplace_back("Retry-After", "2");
    co_return co_await http::reply_json(ctx, mine ? Status::too_many_requests : Status::service_unavailable,
                                        std::move(body), std::move(headers));
  }
  co_return co_await receive_avatar(ctx, auth.user->id, std::move(slot.lease));
}

HttpApi::Awaitable HttpApi::receive_avatar(http::RequestContext& ctx, int64_t user_id, std::shared_ptr<void> slot) {
  const auto& req = ctx.parser.get();
  http::MultipartLimits limits;
  limits.max_file_bytes = options_.max_avatar_bytes;
  limits.max_body_bytes = options_.max_avatar_bytes + 64 * 1024;
  // Over the limit by Content-Length: refused before a byte of the body is read; chunked
  // bodies stop at the limit. At most the limit is ever held in memory.
  if (!co_await http::read_body(ctx, limits.max_body_bytes)) {
    CHAT_LOG_THROTTLED(spdlog::level::info, "avatar: upload by user {} refused: too large", user_id);
    co_return Outcome::close;
  }
  AvatarSink sink;
  http::MultipartParser parser(req[bhttp::field::content_type], sink, limits);
  const bool parsed = parser.feed(ctx.parser.get().body()) && parser.finish();
  if (!parsed || !sink.found()) slot.reset();
  if (!parsed) {
    const auto error = parser.error();
    CHAT_LOG_THROTTLED(spdlog::level::info, "avatar: upload by user {} refused: {}", user_id,
                       http::multipart_error_message(error));
    if (http::is_size_error(error))
      co_return co_await http::reply_error(ctx, Status::payload_too_large, "too_large", "the image is over 5 MiB");
    co_return co_await http::reply_error(ctx, Status::bad_request, "bad_upload", http::multipart_error_message(error));
  }
  if (!sink.found())
    co_return co_await http::reply_error(ctx, Status::bad_request, "bad_upload", "no file in the \"avatar\" field");
  co_return co_await store_avatar(ctx, user_id, sink.take(), std::move(slot));
}

HttpApi::Awaitable HttpApi::store_avatar(http::RequestContext& ctx, int64_t user_id, std::string bytes,
                                         std::shared_ptr<void> slot) {
  std::function<AvatarResult(Store&)> job = [this, uid = user_id, bytes = std::move(bytes)](Store& s) -> AvatarResult {
    // Decoding and re-encoding is the only thing that leaves the upload: whatever the client
    // sent (name, metadata, polyglot tricks) never reaches the disk as is.
    auto processed = process_avatar(bytes);
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
  if (!saved) {
    CHAT_LOG_THROTTLED(spdlog::level::info, "avatar: upload by user {} refused: {}", user_id,
                       avatar_error_message(saved.error()));
    json::value answer = json::object{{"error", code_of(saved.error())}, {"message", avatar_error_message(saved.error())}};
    co_return co_await http::reply_json(ctx, status_of(saved.error()), std::move(answer));
  }
  json::object user = user_json(saved->user);
  chat_.announce_user_update(user, saved->rooms);
  json::value answer = json::object{{"user", std::move(user)}};
  co_return co_await http::reply_json(ctx, Status::ok, std::move(answer));
}

}  // namespace dchat::chat
