// The HTTP connection loop (http::serve_connection) over a real loopback socket: keep-alive,
// pipelining, and what happens to a request body the route did not read.
#include "http/http_connection.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <string>
#include <thread>

#include "core/shard_pool.hpp"
#include "http/responses.hpp"

namespace {

using namespace dchat;
namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;

// Answers every request with its target, through write_response, without reading its body: what
// the static files, the Engine.IO handshake and poll, the CORS preflight and sign-out do.
asio::awaitable<http::Outcome> answer_target(http::RequestContext& ctx) {
  const auto& req = ctx.parser.get();
  auto res = http::make_response(req, bhttp::status::ok, "served " + std::string(req.target()), "text/plain");
  const bool ok = co_await http::write_response(ctx, res);
  co_return ok && res.keep_alive() ? http::Outcome::keep_alive : http::Outcome::close;
}

// Sends `bytes` on a new connection served by serve_connection, half-closes, and returns
// everything the server wrote until it closed the connection.
std::string exchange(const std::string& bytes) {
  core::ShardPool pool(1);
  http::Router router;
  router.prefix("/", answer_target);
  auto& io = pool.context(0);
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  tcp::socket client(io);
  client.connect(acceptor.local_endpoint());
  tcp::socket server = acceptor.accept();
  static const http::ConnectionPolicy policy;
  asio::co_spawn(io, http::serve_connection(pool, router, policy, 0, std::move(server), http::ConnectionState{}),
                 asio::detached);
  std::thread runner([&io] { io.run(); });
  asio::write(client, asio::buffer(bytes));
  client.shutdown(tcp::socket::shutdown_send);
  std::string answer;
  boost::system::error_code ec;
  asio::read(client, asio::dynamic_buffer(answer), ec);
  runner.join();
  return answer;
}

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

const std::string kSmuggled = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";

TEST(HttpConnection, PipelinedRequestsAreAllAnswered) {
  const std::string answer = exchange("GET /one HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(count(answer, "HTTP/1.1 200 OK"), 2u) << answer;
  EXPECT_NE(answer.find("served /one"), std::string::npos);
  EXPECT_NE(answer.find("served /two"), std::string::npos);
}

TEST(HttpConnection, AnUnreadContentLengthBodyIsNeverParsedAsTheNextRequest) {
  // Regression: the body of a GET (or HEAD, OPTIONS, DELETE) with a Content-Length was left in
  // the buffer and served as a second request: a request smuggled past any proxy in front.
  const std::string answer = exchange("GET /first HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                                      std::to_string(kSmuggled.size()) + "\r\n\r\n" + kSmuggled);
  EXPECT_EQ(count(answer, "HTTP/1.1 "), 1u) << answer;
  EXPECT_NE(answer.find("served /first"), std::string::npos);
  EXPECT_NE(answer.find("Connection: close"), std::string::npos) << answer;
  EXPECT_EQ(answer.find("/smuggled"), std::string::npos) << answer;
}

TEST(HttpConnection, AnUnreadChunkedBodyIsNeverParsedAsTheNextRequest) {
  char size[16];
  std::snprintf(size, sizeof size, "%zx", kSmuggled.size());
  const std::string answer = exchange("OPTIONS /first HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
                                      std::string(size) + "\r\n" + kSmuggled + "\r\n0\r\n\r\n");
  EXPECT_EQ(count(answer, "HTTP/1.1 "), 1u) << answer;
  EXPECT_NE(answer.find("Connection: close"), std::string::npos) << answer;
  EXPECT_EQ(answer.find("/smuggled"), std::string::npos) << answer;
}

TEST(HttpConnection, AnEmptyBodyKeepsTheConnection) {
  const std::string answer =
      exchange("GET /one HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(count(answer, "HTTP/1.1 200 OK"), 2u) << answer;
}

}  // namespace
