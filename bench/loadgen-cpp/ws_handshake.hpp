// The client side of the WebSocket opening handshake (RFC 6455 4.1): a random
// Sec-WebSocket-Key, the upgrade request, and the check of the server's 101 response.
#pragma once

#include <cstddef>
#include <string>

#include "rng.hpp"

struct WsKey {
  std::string key;     // Sec-WebSocket-Key sent
  std::string accept;  // Sec-WebSocket-Accept the server must answer with
};
WsKey make_ws_key(Rng& rng);

// GET <path>?EIO=4&transport=websocket with the upgrade headers; with a cookie ("name=value",
// the chat scenario's session) also a Cookie header: the server authenticates the connection
// with it.
std::string upgrade_request(const std::string& path, const std::string& host, int port, const std::string& key,
                            const std::string& cookie = "");

struct UpgradeCheck {
  enum Kind { INCOMPLETE, FAILED, ACCEPTED } kind;
  std::string error;     // FAILED: why ("handshake: ...")
  size_t consumed = 0;   // ACCEPTED: length of the response head; WebSocket frames follow it
};
// Reads the response to upgrade_request() from the n bytes received so far.
UpgradeCheck check_upgrade_response(const char* d, size_t n, const std::string& accept);
