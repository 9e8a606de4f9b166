#include "app/health_check.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include <chrono>

namespace dchat::app {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;

namespace {

asio::awaitable<void> check(std::string host, uint16_t port, int& status, std::string& error) {
  try {
    beast::tcp_stream stream(co_await asio::this_coro::executor);
    stream.expires_after(std::chrono::seconds(3));
    const auto address = asio::ip::make_address(host);
    const asio::ip::tcp::endpoint endpoint(address, port);
    co_await stream.async_connect(endpoint, asio::use_awaitable);
    bhttp::request<bhttp::empty_body> req(bhttp::verb::get, "/healthz", 11);
    req.set(bhttp::field::host, address.is_v6() ? fmt::format("[{}]:{}", host, port) : fmt::format("{}:{}", host, port));
    req.set(bhttp::field::connection, "close");
    co_await bhttp::async_write(stream, req, asio::use_awaitable);
    beast::flat_buffer buffer;
    bhttp::response<bhttp::string_body> res;
    co_await bhttp::async_read(stream, buffer, res, asio::use_awaitable);
    status = static_cast<int>(res.result_int());
  } catch (const boost::system::system_error& e) {
    error = e.code().message();
  } catch (const std::exception& e) {
    error = e.what();
  }
}

}  // namespace

int run_health_check(const config::Config& config) {
  asio::io_context io;
  int status = 0;
  std::string error;
  // The address chatd listens on; loopback when it listens on every address.
  std::string host = config.host;
  if (host.empty() || host == "0.0.0.0" || host == "localhost") host = "127.0.0.1";
  if (host == "::") host = "::1";
  asio::co_spawn(io, check(host, config.port, status, error), asio::detached);
  io.run();
  if (status == 200) return 0;
  if (status) fmt::print(stderr, "chatd: /healthz on {}:{} answered {}\n", host, config.port, status);
  else fmt::print(stderr, "chatd: no answer from {}:{}: {}\n", host, config.port, error);
  return 1;
}

}  // namespace dchat::app
