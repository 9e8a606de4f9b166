#include "http/http_connection.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/read.hpp>
#include <spdlog/spdlog.h>

#include "http/responses.hpp"

namespace dchat::http {

namespace bhttp = beast::http;

namespace {

// Limits for what a client may send before we know who it is.
constexpr size_t kHeaderLimit = 16 * 1024;                      // cookies + a few headers
constexpr auto kIdleTimeout = std::chrono::seconds(75);           // keep-alive between requests

}  // namespace

asio::awaitable<void> serve_connection(core::ShardPool& pool, const Router& router, size_t shard, tcp::socket socket,
                                       beast::flat_buffer buffer, std::unique_ptr<Parser> parser) {
  beast::tcp_stream stream(std::move(socket));
  try {
    while (true) {
      if (!parser) {
        parser = std::make_unique<Parser>();
        parser->header_limit(kHeaderLimit);
        // No body limit while reading the header: each route sets its own when it reads the
        // body (read_body), and refuses by Content-Length before reading a byte of it.
        parser->body_limit(boost::none);
        stream.expires_after(kIdleTimeout);
        auto [ec, n] = co_await bhttp::async_read_header(stream, buffer, *parser, asio::as_tuple(asio::use_awaitable));
        stream.expires_never();
        if (ec) {
          if (ec != bhttp::error::end_of_stream && ec != asio::error::eof && ec != beast::error::timeout &&
              ec != asio::error::connection_reset && ec != asio::error::operation_aborted) {
            // A malformed request: answer it once with a clear error, then close.
            Request req;
            Response res = make_json_response(req, bhttp::status::bad_request, {{"error", "malformed HTTP request"}});
            res.keep_alive(false);
            res.prepare_payload();
            co_await bhttp::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
            spdlog::debug("http: malformed request: {}", ec.message());
          }
          break;
        }
      }
      const std::string_view target = parser->get().target();
      const size_t q = target.find('?');
      RequestContext ctx{stream, buffer, *parser, shard, target.substr(0, q),
                         q == std::string_view::npos ? std::string_view{} : target.substr(q + 1)};
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
          spawn_connection(pool, router, ctx.migrate_to, fd, protocol, std::move(buffer), std::move(parser));
          co_return;
        }
        case Outcome::close:
          break;
      }
      break;
    }
  } catch (const std::exception& e) {
    spdlog::error("http: connection failed: {}", e.what());
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream.socket().close(ignored);
}

void spawn_connection(core::ShardPool& pool, const Router& router, size_t shard, tcp::socket::native_handle_type fd,
                      tcp protocol, beast::flat_buffer buffer, std::unique_ptr<Parser> parser) {
  auto& ctx = pool.context(shard);
  asio::post(ctx, [&pool, &router, &ctx, shard, fd, protocol, buffer = std::move(buffer),
                   parser = std::move(parser)]() mutable {
    tcp::socket socket(ctx);
    beast::error_code ec;
    socket.assign(protocol, fd, ec);
    if (ec) {
      ::close(fd);
      return;
    }
    asio::co_spawn(ctx, serve_connection(pool, router, shard, std::move(socket), std::move(buffer), std::move(parser)),
                   asio::detached);
  });
}

}  // namespace dchat::http
