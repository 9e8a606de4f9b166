#pragma once
// What the layer above Engine.IO (Socket.IO) implements for each session.
#include <string_view>

namespace dchat::engineio {

enum class CloseReason {
  transport_close,   // the client went away (connection closed, WebSocket closed)
  transport_error,   // protocol violation at the transport level (duplicate poll, bad frame)
  ping_timeout,      // no pong in time
  parse_error,       // a packet could not be decoded
  forced_close,      // the client sent a close packet
  server_close,      // the server closed the session (e.g. Socket.IO disconnect)
  slow_client,       // the outbox overflowed
  server_shutdown,   // the server is stopping
};

// The wording socket.io uses for these reasons, logged and passed to disconnect handlers.
std::string_view to_string(CloseReason reason);

class Handler {
 public:
  virtual ~Handler() = default;
  virtual void on_message(std::string_view data, bool binary) = 0;
  virtual void on_close(CloseReason reason) = 0;
};

}  // namespace dchat::engineio
