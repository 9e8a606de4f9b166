#pragma once
// Serves HTTP/1.1 requests on one connection, on one shard, until it closes, is upgraded to
// WebSocket, or moves to the shard owning the Engine.IO session its request is for.
#include <boost/asio/awaitable.hpp>

#include "core/shard_pool.hpp"
#include "http/connection_policy.hpp"
#include "http/router.hpp"

namespace dchat::http {

// Everything a connection carries from shard to shard: what was already read (a request header
// read on another shard) and its slot in the connection limits.
struct ConnectionState {
  beast::flat_buffer buffer;
  std::unique_ptr<Parser> parser;  // set when a request header was already read
  std::shared_ptr<void> lease;
};

asio::awaitable<void> serve_connection(core::ShardPool& pool, const Router& router, const ConnectionPolicy& policy,
                                       size_t shard, tcp::socket socket, ConnectionState state);

// Starts serving `fd` on `shard` (posted to it).
void spawn_connection(core::ShardPool& pool, const Router& router, const ConnectionPolicy& policy, size_t shard,
                      tcp::socket::native_handle_type fd, tcp protocol, ConnectionState state);

}  // namespace dchat::http
