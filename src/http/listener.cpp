#include "http/listener.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "http/http_connection.hpp"

namespace dchat::http {

Listener::Listener(core::ShardPool& pool, const Router& router)
    : pool_(pool), router_(router), acceptor_(pool.context(0)) {}

void Listener::listen(const std::string& host, uint16_t port) {
  beast::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) throw std::runtime_error(fmt::format("HOST \"{}\" is not an IP address", host));
  tcp::endpoint endpoint(address, port);
  protocol_ = endpoint.protocol();
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(tcp::acceptor::reuse_address(true));
  acceptor_.bind(endpoint, ec);
  if (ec) throw std::runtime_error(fmt::format("cannot listen on {}:{}: {}", host, port, ec.message()));
  acceptor_.listen(asio::socket_base::max_listen_connections);
}

uint16_t Listener::port() const { return acceptor_.local_endpoint().port(); }

void Listener::start() { accept_next(); }

void Listener::stop() {
  beast::error_code ignored;
  acceptor_.close(ignored);
}

void Listener::accept_next() {
  acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (ec) {
      // Out of file descriptors and the like: log, and keep accepting once resources free up.
      spdlog::warn("accept failed: {}", ec.message());
    } else {
      socket.set_option(tcp::no_delay(true), ec);
      const size_t shard = next_shard_++ % pool_.size();
      spawn_connection(pool_, router_, shard, socket.release(), protocol_, {}, nullptr);
    }
    accept_next();
  });
}

}  // namespace dchat::http
