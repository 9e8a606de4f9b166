// The steps the two upload routes (POST /api/avatar: http_api_avatar.cpp, POST
// /api/rooms/{id}/attachments: http_api_attachments.cpp) share: the request checks and the
// user's upload slot, reading and parsing the multipart body, and the answers for an image the
// pipeline refused (chat/avatar_image.hpp).
#include <spdlog/spdlog.h>

#include "chat/http_api_private.hpp"
#include "core/log_throttle.hpp"
#include "core/metrics.hpp"
#include "http/api_responses.hpp"
#include "http/multipart.hpp"
#include "http/request_checks.hpp"

namespace dchat::chat {

namespace {

// "5 MiB" for whole mebibytes, else the number of bytes.
std::string size_text(size_t bytes) {
  if (bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  return std::to_string(bytes) + " bytes";
}

}  // namespace

asio::awaitable<HttpApi::UploadStart> HttpApi::start_upload(http::RequestContext& ctx) {
  UploadStart out;
  const auto& req = ctx.parser.get();
  if (req.method() != bhttp::verb::post) {
    out.refused = co_await http::reply_error(ctx, Status::method_not_allowed, "bad_request", "use POST");
    co_return out;
  }
  if (!http::same_origin(req, ctx.client.https)) {
    out.refused = co_await http::reply_error(ctx, Status::forbidden, "forbidden", "cross-site request refused");
    co_return out;
  }
  const auto auth = co_await current_user(ctx);
  if (!auth.user) {
    out.refused = co_await refuse_anonymous(ctx, auth.store_ok);
    co_return out;
  }
  out.user_id = auth.user->id;

  // An upload holds up to its size limit of body and, while it is decoded, up to 40 megapixels:
  // one at a time per user (avatars and attachments alike), and a few in all. Given back just
  // before the answer is written, so a client that sends its next upload as soon as it has read
  // the answer is never refused.
  auto slot = avatar_jobs_.acquire(std::to_string(out.user_id));
  if (!slot.lease) {
    const bool mine = slot.refusal == core::ConcurrencyLimiter::Refusal::per_client;
    (mine ? core::metrics().rate_limited : core::metrics().overloaded).inc();
    json::object body{{"error", mine ? "rate_limited" : "overloaded"},
                      {"message", mine ? "your previous upload is still being processed" : "too many uploads at once, try again"}};
    std::vector<std::pair<std::string, std::string>> headers;
    headers.emplace_back("Retry-After", "2");
    out.refused = co_await http::reply_json(ctx, mine ? Status::too_many_requests : Status::service_unavailable,
                                            std::move(body), std::move(headers));
    co_return out;
  }
  out.slot = std::move(slot.lease);
  co_return out;
}

asio::awaitable<HttpApi::ReceivedFile> HttpApi::receive_file(http::RequestContext& ctx, int64_t user_id,
                                                             std::shared_ptr<void>& slot, std::string field,
                                                             size_t max_bytes, std::string what) {
  ReceivedFile out;
  const auto& req = ctx.parser.get();
  http::MultipartLimits limits;
  limits.max_file_bytes = max_bytes;
  limits.max_body_bytes = max_bytes + 64 * 1024;
  // Over the limit by Content-Length: refused (413) before a byte of the body is read; chunked
  // bodies stop at the limit. At most the limit is ever held in memory.
  if (!co_await http::read_body(ctx, limits.max_body_bytes)) {
    CHAT_LOG_THROTTLED(spdlog::level::info, "{}: upload by user {} refused: too large", what, user_id);
    slot.reset();
    out.refused = Outcome::close;
    co_return out;
  }
  http::FileFieldSink sink(std::move(field));
  http::MultipartParser parser(req[bhttp::field::content_type], sink, limits);
  const bool parsed = parser.feed(ctx.parser.get().body()) && parser.finish();
  if (!parsed || !sink.found()) slot.reset();
  if (!parsed) {
    const auto error = parser.error();
    CHAT_LOG_THROTTLED(spdlog::level::info, "{}: upload by user {} refused: {}", what, user_id,
                       http::multipart_error_message(error));
    if (http::is_size_error(error))
      out.refused = co_await http::reply_error(ctx, Status::payload_too_large, "too_large",
                                               "the image is over " + size_text(max_bytes));
    else
      out.refused = co_await http::reply_error(ctx, Status::bad_request, "bad_upload", http::multipart_error_message(error));
    co_return out;
  }
  if (!sink.found()) {
    out.refused = co_await http::reply_error(ctx, Status::bad_request, "bad_upload",
                                             "no file in the \"" + sink.field() + "\" field");
    co_return out;
  }
  out.bytes = sink.take();
  co_return out;
}

HttpApi::Awaitable HttpApi::refuse_image(http::RequestContext& ctx, int64_t user_id, AvatarError error,
                                         std::string_view what) {
  CHAT_LOG_THROTTLED(spdlog::level::info, "{}: upload by user {} refused: {}", what, user_id, avatar_error_message(error));
  Status status = Status::bad_request;
  const char* code = "bad_upload";
  if (error == AvatarError::unsupported_type) {
    status = Status::unsupported_media_type;
    code = "unsupported_type";
  } else if (error == AvatarError::too_large_dimensions) {
    status = Status::payload_too_large;
    code = "too_large";
  }
  return http::reply_error(ctx, status, code, avatar_error_message(error));
}

}  // namespace dchat::chat
