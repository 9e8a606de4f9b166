#pragma once
// RFC 6455 framing, server side, with no I/O: parsing masked client frames into messages and
// encoding unmasked server frame headers.
//
// Hand-written instead of using Beast's websocket::stream because the hot path needs two things
// that stream cannot do: a broadcast frame (header + payload) encoded once and written unchanged
// to every recipient, and all frames queued for one client written with a single writev().
// Beast still parses the HTTP upgrade request.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace dchat::http::ws {

enum class Opcode : uint8_t { continuation = 0, text = 1, binary = 2, close = 8, ping = 9, pong = 10 };

// Close codes used by this server (RFC 6455 section 7.4.1).
inline constexpr uint16_t kCloseNormal = 1000;
inline constexpr uint16_t kCloseGoingAway = 1001;
inline constexpr uint16_t kCloseProtocolError = 1002;
inline constexpr uint16_t kCloseInvalidPayload = 1007;
inline constexpr uint16_t kClosePolicyViolation = 1008;
inline constexpr uint16_t kCloseTooBig = 1009;
inline constexpr uint16_t kCloseInternalError = 1011;

inline constexpr size_t kMaxHeaderSize = 10;  // unmasked server frame, 64-bit length

struct FrameHeader {
  std::array<uint8_t, kMaxHeaderSize> bytes{};
  uint8_t size = 0;
};

// Header of an unfragmented, unmasked frame carrying `payload_len` bytes.
FrameHeader encode_header(Opcode opcode, uint64_t payload_len) noexcept;

// Payload of a close frame: 2-byte code then the UTF-8 reason (truncated to fit 125 bytes).
std::string close_payload(uint16_t code, std::string_view reason);

// Receives what the reader decodes. Payload views stay valid only during the call.
class MessageSink {
 public:
  virtual ~MessageSink() = default;
  virtual void on_ws_message(bool binary, std::string_view payload) = 0;
  virtual void on_ws_ping(std::string_view payload) = 0;
  virtual void on_ws_close(uint16_t code, std::string_view reason) = 0;
};

struct ProtocolError {
  uint16_t code = 0;  // 0: no error
  const char* reason = "";
  explicit operator bool() const noexcept { return code != 0; }
};

// Reassembles client frames into messages. Stateful across calls only for fragmented messages.
class MessageReader {
 public:
  explicit MessageReader(uint64_t max_message_size) : max_message_size_(max_message_size) {}

  // Decodes every complete frame at the start of [data, data+len) (unmasking in place) and
  // returns how many bytes were consumed; the caller keeps the rest for the next call.
  // On a protocol violation sets `error` and stops; the connection must then be closed.
  size_t feed(char* data, size_t len, MessageSink& sink, ProtocolError& error);

  // Bytes the caller should expect at least before calling feed again, for sizing buffers.
  uint64_t max_message_size() const noexcept { return max_message_size_; }

 private:
  // Each returns false when reading must stop: after a close frame, or with `error` set.
  bool on_frame(bool fin, uint8_t opcode, std::string_view body, MessageSink& sink, ProtocolError& error);
  bool on_data_frame(bool fin, bool binary, std::string_view body, MessageSink& sink, ProtocolError& error);
  bool on_continuation(bool fin, std::string_view body, MessageSink& sink, ProtocolError& error);

  uint64_t max_message_size_;
  std::string fragments_;  // data of a fragmented message so far
  bool in_fragmented_ = false;
  bool fragmented_binary_ = false;
};

}  // namespace dchat::http::ws
