// The steps the two upload routes (POST /api/avatar: http_api_avatar.cpp, POST
// /api/rooms/{id}/attachments: http_api_attachments.cpp) share, and the limits they go through
// in this order (docs/SECURITY.md, "Uploads"):
//   1. one upload at a time per user (user_uploads_), held until the answer is written;
//   2. the body is read with at most kUploadReadsPerAddress uploads per client address and
//      kUploadReads in all being read at once (upload_reads_), and must keep options_.upload_pace;
//   3. only then a decode slot (decodes_): fewer decodes at once than the store has workers, so
//      however many images arrive, a worker is left for the chat. None free: 503 busy.
// A slow sender thus holds only its own user's slot and one of its address's read slots, never
// a decode slot, and a slow link has as long as it needs while it keeps the pace.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

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

// A 429 rate_limited (the client's own doing) or a 503 with `busy_code`, with Retry-After.
asio::awaitable<Outcome> refuse_busy(http::RequestContext& ctx, bool mine, std::string busy_code, std::string message) {
  (mine ? core::metrics().rate_limited : core::metrics().overloaded).inc();
  json::object body{{"error", mine ? std::string("rate_limited") : std::move(busy_code)}, {"message", std::move(message)}};
  std::vector<std::pair<std::string, std::string>> headers;
  headers.emplace_back("Retry-After", "2");
  co_return co_await http::reply_json(ctx, mine ? Status::too_many_requests : Status::service_unavailable,
                                      std::move(body), std::move(headers));
}

}  // namespace

size_t HttpApi::decode_slots(size_t store_threads) {
  return std::clamp<size_t>(store_threads > 0 ? store_threads - 1 : 0, 1, kMaxDecodes);
}

asio::awaitable<HttpApi::UploadStart> HttpApi::start_upload(http::RequestContext& ctx, bhttp::verb method) {
  UploadStart out;
  const auto& req = ctx.parser.get();
  if (req.method() != method) {
    out.refused = co_await http::reply_error(ctx, Status::method_not_allowed, "bad_request",
                                             "use " + std::string(bhttp::to_string(method)));
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

  // One at a time per user, avatars and attachments alike (and withdrawing one). Given back just
  // before the answer is written, so a client that sends its next upload as soon as it has read
  // the answer is never refused.
  auto slot = user_uploads_.acquire(std::to_string(out.user_id));
  if (!slot.lease) {
    const bool mine = slot.refusal == core::ConcurrencyLimiter::Refusal::per_client;
    out.refused = co_await refuse_busy(ctx, mine, "overloaded",
                                       mine ? "your previous upload is still being processed"
                                            : "too many uploads at once, try again");
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
  auto reading = upload_reads_.acquire(ctx.client.limit_key);
  if (!reading.lease) {
    slot.reset();
    const bool mine = reading.refusal == core::ConcurrencyLimiter::Refusal::per_client;
    CHAT_LOG_THROTTLED(spdlog::level::info, "{}: upload by user {} refused: {} uploads being read", what, user_id,
                       mine ? "too many of its address's" : "too many");
    out.refused = co_await refuse_busy(ctx, mine, "overloaded",
                                       mine ? "too many uploads from your address at once, try again"
                                            : "too many uploads at once, try again");
    co_return out;
  }
  http::MultipartLimits limits;
  limits.max_file_bytes = max_bytes;
  limits.max_body_bytes = max_bytes + 64 * 1024;
  http::FileFieldSink sink(std::move(field));
  http::MultipartParser parser(req[bhttp::field::content_type], sink, limits);
  // The body goes through the multipart parser as it arrives: only the file part is kept (at
  // most max_bytes), never the body as well. Over the limit by Content-Length: refused (413)
  // before a byte of the body is read.
  const auto read = co_await http::read_body_paced(ctx, limits.max_body_bytes, options_.upload_pace,
                                                   [&parser](std::string_view piece) { return parser.feed(piece); });
  reading.lease.reset();
  if (read == http::BodyRead::too_large || read == http::BodyRead::failed) {
    slot.reset();
    CHAT_LOG_THROTTLED(spdlog::level::info, "{}: upload by user {} refused: {}", what, user_id,
                       read == http::BodyRead::too_large ? "too large" : "the body stalled or the connection failed");
    out.refused = Outcome::close;
    co_return out;
  }
  const bool parsed = read == http::BodyRead::done && parser.finish();
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

  // Decoding takes a store worker for up to seconds: only decode_slots(threads) at once.
  auto decode = decodes_.acquire(std::string());
  if (!decode.lease) {
    slot.reset();
    CHAT_LOG_THROTTLED(spdlog::level::info, "{}: upload by user {} refused: every decode slot is taken", what, user_id);
    out.refused = co_await refuse_busy(ctx, false, "busy", "the server is busy with other images, try again in a moment");
    co_return out;
  }
  // The decode slot goes with the user's slot: both are given back before the answer.
  slot = std::make_shared<std::pair<std::shared_ptr<void>, std::shared_ptr<void>>>(std::move(slot),
                                                                                 std::move(decode.lease));
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
