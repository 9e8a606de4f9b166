#include "http/responses.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/serialize.hpp>
#include <spdlog/spdlog.h>

namespace dchat::http {

namespace bhttp = beast::http;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

Response make_response(const Request& req, bhttp::status status, std::string body, std::string_view content_type) {
  Response res{status, req.version()};
  res.set(bhttp::field::content_type, content_type);
  res.set(bhttp::field::cache_control, "no-store");
  res.set("X-Content-Type-Options", "nosniff");
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  return res;
}

Response make_json_response(const Request& req, bhttp::status status, const boost::json::value& body) {
  return make_response(req, status, boost::json::serialize(body), "application/json");
}

asio::awaitable<bool> write_response(RequestContext& ctx, Response& res) {
  // A request body the route did not read would be parsed as the next request on this
  // connection (a request smuggled inside a GET's body, past any proxy): close instead.
  if (!ctx.parser.is_done()) res.keep_alive(false);
  // Behind a TLS-terminating proxy that we trust to say so: browsers must not come back over
  // plain http (where the session cookie could be stripped of Secure or the page altered). Never
  // on a client's own claim: ctx.client.https is only set from a trusted proxy's header.
  if (ctx.client.https) res.set(bhttp::field::strict_transport_security, "max-age=31536000");
  res.prepare_payload();
  // Beast sets "Content-Length: 0" for the empty body of a 304, but RFC 9110 8.6 allows a 304
  // only the length of the full response, and a cache applying the 304's fields to its stored
  // copy would take that copy to be empty: say nothing (a 304 never has a body anyway).
  if (res.result() == bhttp::status::not_modified) res.erase(bhttp::field::content_length);
  ctx.stream.expires_after(std::chrono::seconds(30));
  auto [ec, n] = co_await bhttp::async_write(ctx.stream, res, use_tuple);
  ctx.stream.expires_never();
  co_return !ec;
}

namespace {

asio::awaitable<void> refuse_too_large(RequestContext& ctx) {
  auto res = make_json_response(ctx.parser.get(), bhttp::status::payload_too_large,
                                {{"code", 413}, {"error", "too_large"}, {"message", "payload too large"}});
  res.keep_alive(false);
  co_await write_response(ctx, res);
}

}  // namespace

asio::awaitable<BodyRead> read_body_paced(RequestContext& ctx, uint64_t limit, BodyPace pace,
                                          std::function<bool(std::string_view)> consume) {
  if (ctx.parser.content_length() && *ctx.parser.content_length() > limit) {
    co_await refuse_too_large(ctx);
    co_return BodyRead::too_large;
  }
  ctx.parser.body_limit(limit);
  auto& body = ctx.parser.get().body();
  uint64_t in_window = 0;
  ctx.stream.expires_after(pace.window);
  while (!ctx.parser.is_done()) {
    auto [ec, n] = co_await bhttp::async_read_some(ctx.stream, ctx.buffer, ctx.parser, use_tuple);
    if (ec) {
      ctx.stream.expires_never();
      if (ec == bhttp::error::body_limit) {
        co_await refuse_too_large(ctx);
        co_return BodyRead::too_large;
      }
      co_return BodyRead::failed;
    }
    if (!body.empty()) {
      // string_body appends at the body's current end, so emptying it between reads is safe.
      in_window += body.size();
      const bool go_on = consume(body);
      body.clear();
      // The parser reserved the whole Content-Length for it: give that back.
      if (body.capacity() > 64 * 1024) body.shrink_to_fit();
      if (!go_on) {
        ctx.stream.expires_never();
        co_return BodyRead::refused;
      }
    }
    if (in_window >= pace.min_bytes) {
      // Moved enough: a new window.
      in_window = 0;
      ctx.stream.expires_after(pace.window);
    }
  }
  ctx.stream.expires_never();
  co_return BodyRead::done;
}

asio::awaitable<bool> read_body(RequestContext& ctx, uint64_t limit) {
  // Refuse by Content-Length before reading a byte of an oversized body.
  if (ctx.parser.content_length() && *ctx.parser.content_length() > limit) {
    co_await refuse_too_large(ctx);
    co_return false;
  }
  ctx.parser.body_limit(limit);
  ctx.stream.expires_after(std::chrono::seconds(30));
  auto [ec, n] = co_await bhttp::async_read(ctx.stream, ctx.buffer, ctx.parser, use_tuple);
  ctx.stream.expires_never();
  if (ec == bhttp::error::body_limit) {
    co_await refuse_too_large(ctx);
    co_return false;
  }
  co_return !ec;
}

}  // namespace dchat::http
