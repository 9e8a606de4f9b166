#pragma once
// Serves HTTP/1.1 requests on one connection, on one shard, until it closes, is upgraded to
// WebSocket, or moves to the shard owning the Engine.IO session its request is for.
#include <boost/asio/awaitable.hpp>

#include "core/shard_pool.hpp"
#include "http/router.hpp"

namespace dchat::http {

// `parser` is set when a request header was already read on another shard.
asio::awaitable<void> serve_connection(core::ShardPool& pool, const Router& router, size_t shard, tcp::socket socket,
                                       beast::flat_buffer buffer, std::unique_ptr<Parser> parser);

// Starts serving `native_socket` on `shard` (posted to it).
void spawn_connection(core::ShardPool& pool, const Router& router, size_t shard, tcp::socket::native_handle_type fd,
                      tcp protocol, beast::flat_buffer buffer, std::unique_ptr<Parser> parser);

}  // namespace dchat::http
