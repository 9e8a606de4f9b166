#pragma once
// Socket.IO v5 packet codec, with no I/O.
//
// Text form: <type>[<attachments>-][<namespace>,][<ack id>][<JSON payload>]
// BINARY_EVENT / BINARY_ACK packets are followed by `attachments` binary Engine.IO messages;
// their JSON carries {"_placeholder":true,"num":i} where attachment i belongs.
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dchat::socketio {

enum class PacketType : uint8_t {
  connect = 0,
  disconnect = 1,
  event = 2,
  ack = 3,
  connect_error = 4,
  binary_event = 5,
  binary_ack = 6,
};

// Attachments per packet: a bound so a header like "59999999-" cannot make us wait for
// (and buffer) an absurd number of binary frames.
inline constexpr size_t kMaxAttachments = 64;
inline constexpr size_t kMaxNamespaceBytes = 256;  // longer names are refused as malformed

struct Packet {
  PacketType type = PacketType::event;
  std::string nsp = "/";
  std::optional<uint64_t> id;
  boost::json::value data;  // null when the packet has no payload
  size_t attachments = 0;
};

struct DecodeResult {
  std::optional<Packet> packet;
  const char* error = nullptr;  // set when packet is empty
};

// Decodes and validates the text part of a packet as socket.io-parser does.
DecodeResult decode(std::string_view text);

// Encodes the text part. `attachments` is written for the binary types.
std::string encode(const Packet& packet);

// Encodes an EVENT (or BINARY_EVENT when attachments > 0) without building a Packet:
// the broadcast path uses this so the payload JSON is serialized exactly once.
std::string encode_event(std::string_view nsp, std::string_view event, const boost::json::array& args,
                         size_t attachments = 0, std::optional<uint64_t> ack_id = std::nullopt);

// For BINARY_EVENT / BINARY_ACK: true when every placeholder in `value` names one of the
// `attachments` (0 <= num < attachments). A packet failing this is refused, since relaying it
// would make every receiving client fail to decode it.
bool placeholders_valid(const boost::json::value& value, size_t attachments);

// Event names clients may not use, as socket.io-parser reserves them.
bool is_reserved_event(std::string_view name);

}  // namespace dchat::socketio
