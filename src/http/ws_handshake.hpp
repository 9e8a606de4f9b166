#pragma once
// The server side of the RFC 6455 opening handshake (the HTTP part is parsed by Beast).
#include <optional>
#include <string>

#include "http/request_context.hpp"

namespace dchat::http {

// True when the request asks to upgrade to WebSocket.
bool is_websocket_upgrade(const Request& req);

// The 101 response for a valid upgrade request; nullopt when the request is not a valid
// WebSocket handshake (missing key, wrong version).
std::optional<std::string> websocket_accept_response(const Request& req);

}  // namespace dchat::http
