#include "http/http_connection.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/read.hpp>
#include <spdlog/spdlog.h>

#include "core/log_throttle.hpp"
#include "http/responses.hpp"

namespace dchat::http {

namespace bhttp = beast::http;
using namespace asio::experimental::awaitable_operators;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

namespace {

constexpr size_t kHeaderLimit = 16 * 1024;  // cookies + a few headers

// Waits until the client starts its next request (the buffer already holds bytes of it, or the
// socket becomes readable), at most `idle`. false: it did not, or the connection failed.
asio::awaitable<bool> wait_for_request(beast::tcp_stream& stream, const beast::flat_buffer& buffer,
                                       std::chrono::milliseconds idle) {
  if (buffer.size() > 0) co_return true;
  asio::steady_timer timer(stream.get_executor(), idle);
  auto woke = co_await (stream.socket().async_wait(asio::socket_base::wait_read, use_tuple) || timer.async_wait(use_tuple));
  co_return woke.index() == 0 && !std::get<0>(std::get<0>(woke));
}

// Ends a connection the server decided to close, so that the client reads the response instead
// of a reset: a close() with unread request bytes (a body we refused before reading it) makes
// the kernel send RST, and a client still writing its upload then sees EPIPE or ECONNRESET
// instead of our 413. So: send FIN after the response, read and discard what the client still
// sends (bounded in time and bytes), then close.
asio::awaitable<void> linger_close(beast::tcp_stream& stream, const ConnectionPolicy& policy) {
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (!ec) {
    const auto deadline = std::chrono::steady_clock::now() + policy.linger_timeout;
    size_t discarded = 0;
    std::array<char, 16 * 1024> sink;
    while (discarded < policy.linger_bytes) {
      const auto left = deadline - std::chrono::steady_clock::now();
      if (left <= std::chrono::steady_clock::duration::zero()) break;
      stream.expires_after(left);
      auto [read_ec, n] = co_await stream.async_read_some(asio::buffer(sink), use_tuple);
      if (read_ec) break;  // EOF: the client has seen our FIN and closed its side too
      discarded += n;
    }
    stream.expires_never();
  }
  stream.socket().close(ec);
}

ClientInfo client_info(beast::tcp_stream& stream, const Request& req, const ConnectionPolicy& policy) {
  ClientInfo info;
  beast::error_code ec;
  const auto peer = stream.socket().remote_endpoint(ec);
  if (ec) {
    info.limit_key = "unknown";
    return info;
  }
  info.address = client_address(peer.address(), req["X-Forwarded-For"], policy.proxies);
  info.limit_key = limit_key(info.address);
  info.https = forwarded_https(peer.address(), req["X-Forwarded-Proto"], policy.proxies);
  return info;
}

}  // namespace

asio::awaitable<void> serve_connection(core::ShardPool& pool, const Router& router, const ConnectionPolicy& policy,
                                       size_t shard, tcp::socket socket, ConnectionState state) {
  beast::tcp_stream stream(std::move(socket));
  bool linger = false;  // the server ends the connection: let the client read the last response
  bool first = !state.parser;
  try {
    while (true) {
      auto& parser = state.parser;
      if (!parser) {
        // A new connection must send its first request's headers within the header timeout; a
        // kept-alive one may first sit idle until its next request begins.
        if (!first && !co_await wait_for_request(stream, state.buffer, policy.idle_timeout)) break;
        first = false;
        parser = std::make_unique<Parser>();
        parser->header_limit(kHeaderLimit);
        // No body limit while reading the header: each route sets its own when it reads the
        // body (read_body), and refuses by Content-Length before reading a byte of it.
        parser->body_limit(boost::none);
        stream.expires_after(policy.header_timeout);
        auto [ec, n] = co_await bhttp::async_read_header(stream, state.buffer, *parser, use_tuple);
        stream.expires_never();
        if (ec) {
          if (ec == beast::error::timeout) {
            // Connected (or started a request) but did not send its headers in time: a slow-header
            // attack or a dead client. tcp_stream has closed the socket already, so there is no
            // one left to answer.
            CHAT_LOG_THROTTLED(spdlog::level::info, "http: no complete request headers within {} ms, closed",
                               policy.header_timeout.count());
          } else if (ec != bhttp::error::end_of_stream && ec != asio::error::eof &&
                     ec != asio::error::connection_reset && ec != asio::error::operation_aborted) {
            // A malformed request: answer it once with a clear error, then close.
            const bool too_big = ec == bhttp::error::header_limit;
            Request req;
            Response res = make_json_response(
                req, too_big ? bhttp::status::request_header_fields_too_large : bhttp::status::bad_request,
                {{"error", too_big ? "too_large" : "bad_request"},
                 {"message", too_big ? "request headers over 16 KiB" : "malformed HTTP request"}});
            res.keep_alive(false);
            res.prepare_payload();
            co_await bhttp::async_write(stream, res, use_tuple);
            CHAT_LOG_THROTTLED(spdlog::level::debug, "http: malformed request: {}", ec.message());
            linger = true;
          }
          break;
        }
      }
      const ClientInfo client = client_info(stream, parser->get(), policy);
      const std::string_view target = parser->get().target();
      const size_t q = target.find('?');
      RequestContext ctx{stream, state.buffer, *parser, shard, target.substr(0, q),
                         q == std::string_view::npos ? std::string_view{} : target.substr(q + 1),
                         client, state.lease};
      const Outcome outcome = co_await router.find(ctx.path)(ctx);
      switch (outcome) {
        case Outcome::keep_alive:
          parser.reset();
          continue;
        case Outcome::taken:
          co_return;
        case Outcome::migrate: {
          auto protocol = stream.socket().local_endpoint().protocol();
          auto fd = stream.release_socket().release();
          spawn_connection(pool, router, policy, ctx.migrate_to, fd, protocol, std::move(state));
          co_return;
        }
        case Outcome::close:
          linger = stream.socket().is_open();
          break;
      }
      break;
    }
  } catch (const std::exception& e) {
    CHAT_LOG_THROTTLED(spdlog::level::warn, "http: connection failed: {}", e.what());
  }
  if (linger) {
    co_await linger_close(stream, policy);
    co_return;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream.socket().close(ignored);
}

void spawn_connection(core::ShardPool& pool, const Router& router, const ConnectionPolicy& policy, size_t shard,
                      tcp::socket::native_handle_type fd, tcp protocol, ConnectionState state) {
  auto& ctx = pool.context(shard);
  asio::post(ctx, [&pool, &router, &policy, &ctx, shard, fd, protocol, state = std::move(state)]() mutable {
    tcp::socket socket(ctx);
    beast::error_code ec;
    socket.assign(protocol, fd, ec);
    if (ec) {
      ::close(fd);
      return;
    }
    asio::co_spawn(ctx, serve_connection(pool, router, policy, shard, std::move(socket), std::move(state)),
                   asio::detached);
  });
}

}  // namespace dchat::http
