#pragma once
// Writing responses. Errors are always JSON: {"code":N,"message":"..."} or {"error":"..."}.
#include <boost/json/value.hpp>

#include <chrono>
#include <functional>
#include <string_view>

#include "http/request_context.hpp"

namespace dchat::http {

// Writes `res` (filling Content-Length and keep-alive from the request, and HSTS when a trusted
// proxy says the request came over https); false on I/O error. When the request's body was not
// read, `res` says Connection: close and res.keep_alive() is false afterwards: callers keep the
// connection only when it is still true.
asio::awaitable<bool> write_response(RequestContext& ctx, Response& res);

Response make_response(const Request& req, beast::http::status status, std::string body,
                       std::string_view content_type);
Response make_json_response(const Request& req, beast::http::status status, const boost::json::value& body);

// Reads the request body into the parser (limit in bytes). false when the body was too large
// (a 413 has then been sent) or the connection failed.
asio::awaitable<bool> read_body(RequestContext& ctx, uint64_t limit);

// The least a body read by read_body_paced must move: at least `min_bytes` within each `window`
// (the first window starts when the body starts), or the read ends as if timed out. A slow link
// gets as long as it needs; a sender that trickles a few bytes to hold a slot does not.
struct BodyPace {
  uint64_t min_bytes = 16 * 1024;
  std::chrono::milliseconds window{10'000};
};

enum class BodyRead {
  done,       // the whole body was handed to `consume`
  too_large,  // over `limit`: a 413 has been sent (Connection: close)
  refused,    // `consume` returned false: the rest was not read
  failed,     // the connection failed, or the body moved slower than the pace
};

// Reads the request body (at most `limit` bytes) and hands each piece to `consume` as it
// arrives, keeping none of it: the parser's body stays empty, so only what `consume` keeps is
// held. For uploads: a multipart parser as the consumer keeps the file part only.
asio::awaitable<BodyRead> read_body_paced(RequestContext& ctx, uint64_t limit, BodyPace pace,
                                          std::function<bool(std::string_view)> consume);

}  // namespace dchat::http
