#pragma once
// Accepts TCP connections on shard 0 and spreads them round-robin over the shards, where each
// is served by an HttpConnection. Every connection takes a slot in the connection limits
// (ConnectionPolicy) for as long as its socket is open; over a limit it gets a 503 (or 429 for
// one client) and is closed. Out of file descriptors, accepting pauses instead of spinning.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>

#include "core/concurrency_limiter.hpp"
#include "core/shard_pool.hpp"
#include "http/connection_policy.hpp"
#include "http/router.hpp"

namespace dchat::http {

class Listener {
 public:
  Listener(core::ShardPool& pool, const Router& router, const ConnectionPolicy& policy);
  ~Listener();
  // Binds and listens; throws with a clear message when the address is taken.
  void listen(const std::string& host, uint16_t port);
  uint16_t port() const;
  void start();
  void stop();
  size_t connections() const { return limiter_.total(); }

 private:
  void accept_next();
  void on_accept_error(const boost::system::error_code& ec);
  void admit(tcp::socket socket);

  core::ShardPool& pool_;
  const Router& router_;
  const ConnectionPolicy& policy_;
  core::ConcurrencyLimiter limiter_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer backoff_;
  std::chrono::milliseconds backoff_delay_{0};
  void release_spares();
  void take_spares();
  // Given up when descriptors run out: to accept and refuse one connection, and so that what
  // runs meanwhile has descriptors to work with.
  std::array<int, 2> spare_fds_{-1, -1};
  size_t next_shard_ = 0;
  boost::asio::ip::tcp protocol_ = boost::asio::ip::tcp::v4();
};

}  // namespace dchat::http
