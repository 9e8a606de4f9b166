#pragma once
// Accepts TCP connections on shard 0 and spreads them round-robin over the shards, where each
// is served by an HttpConnection.
#include <boost/asio/ip/tcp.hpp>

#include "core/shard_pool.hpp"
#include "http/router.hpp"

namespace dchat::http {

class Listener {
 public:
  Listener(core::ShardPool& pool, const Router& router);
  // Binds and listens; throws with a clear message when the address is taken.
  void listen(const std::string& host, uint16_t port);
  uint16_t port() const;
  void start();
  void stop();

 private:
  void accept_next();

  core::ShardPool& pool_;
  const Router& router_;
  boost::asio::ip::tcp::acceptor acceptor_;
  size_t next_shard_ = 0;
  boost::asio::ip::tcp protocol_ = boost::asio::ip::tcp::v4();
};

}  // namespace dchat::http
