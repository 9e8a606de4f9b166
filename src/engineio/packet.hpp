#pragma once
// Engine.IO v4 packets and the polling payload format, with no I/O.
//
// A packet on the wire is one type digit followed by its data ("4hello"); binary messages
// travel as raw WebSocket binary frames, or in a polling payload as "b" + base64. A payload
// joins packets with the record separator 0x1e.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "http/ws_frame.hpp"

namespace dchat::engineio {

enum class PacketType : uint8_t { open = 0, close = 1, ping = 2, pong = 3, message = 4, upgrade = 5, noop = 6 };

inline constexpr char kRecordSeparator = '\x1e';

// A decoded inbound packet. `binary` is only ever true for message packets.
struct Packet {
  PacketType type = PacketType::noop;
  bool binary = false;
  std::string data;

  bool operator==(const Packet&) const = default;
};

// An outbound packet encoded once and shared by every recipient (a broadcast holds one of these
// for all its sockets). It carries the ready-made WebSocket frame header too, so the WebSocket
// transport writes header + data without touching them.
class WirePacket {
 public:
  static std::shared_ptr<const WirePacket> make(PacketType type, std::string_view data = {});
  static std::shared_ptr<const WirePacket> make_binary(std::string bytes);
  // A WebSocket control frame (pong, close): not an Engine.IO packet, but queued and written
  // the same way.
  static std::shared_ptr<const WirePacket> make_ws_control(http::ws::Opcode opcode, std::string payload);

  bool binary() const noexcept { return binary_; }
  // Text: the Engine.IO packet ("4..."); binary: the raw bytes.
  const std::string& data() const noexcept { return data_; }
  const http::ws::FrameHeader& ws_header() const noexcept { return ws_header_; }
  http::ws::Opcode ws_opcode() const noexcept { return static_cast<http::ws::Opcode>(ws_header_.bytes[0] & 0x0F); }
  // Bytes this packet costs in a queue, for outbox limits.
  size_t wire_size() const noexcept { return data_.size() + ws_header_.size; }

  WirePacket(bool binary, std::string data);
  WirePacket(http::ws::Opcode opcode, std::string data);

 private:
  bool binary_;
  std::string data_;
  http::ws::FrameHeader ws_header_;
};
using WirePacketPtr = std::shared_ptr<const WirePacket>;

// Decodes one packet received as a WebSocket text frame; nullopt when malformed.
std::optional<Packet> decode_text_packet(std::string_view frame);

// Decodes a polling request body; nullopt when any packet in it is malformed.
std::optional<std::vector<Packet>> decode_payload(std::string_view body);

// Encodes packets for a polling response. Stops before the packet that would make the body
// exceed `max_bytes` (but always includes at least one) and returns how many were encoded.
size_t encode_payload(std::span<const WirePacketPtr> packets, size_t max_bytes, std::string& out);

}  // namespace dchat::engineio
