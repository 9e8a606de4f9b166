#pragma once
// What every HTTP connection is held to, whoever sends it: how many there may be (in all and
// per client), how long a client may take to send a request's headers, and which peers are
// proxies whose forwarding headers are believed. Set once at start-up, read by every shard.
#include <chrono>
#include <cstddef>

#include "http/client_address.hpp"

namespace dchat::http {

struct ConnectionPolicy {
  TrustedProxies proxies;
  size_t max_connections = 10000;
  size_t max_connections_per_client = 256;
  // From a request's first byte to the end of its headers (slow-header attacks).
  std::chrono::milliseconds header_timeout{10000};
  // A keep-alive connection may wait this long for its next request.
  std::chrono::milliseconds idle_timeout{75000};
  // After a response that ends the connection: how long, and how much, of what the client is
  // still sending is read and thrown away, so that it sees the response instead of a reset.
  std::chrono::milliseconds linger_timeout{10000};
  size_t linger_bytes = 32u << 20;
};

}  // namespace dchat::http
