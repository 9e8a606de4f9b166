#include "engineio/packet.hpp"

#include "core/base64.hpp"

namespace dchat::engineio {

WirePacket::WirePacket(bool binary, std::string data)
    : binary_(binary),
      data_(std::move(data)),
      ws_header_(http::ws::encode_header(binary ? http::ws::Opcode::binary : http::ws::Opcode::text,
                                         data_.size())) {}

WirePacket::WirePacket(http::ws::Opcode opcode, std::string data)
    : binary_(true), data_(std::move(data)), ws_header_(http::ws::encode_header(opcode, data_.size())) {}

std::shared_ptr<const WirePacket> WirePacket::make_ws_control(http::ws::Opcode opcode, std::string payload) {
  return std::make_shared<const WirePacket>(opcode, std::move(payload));
}

std::shared_ptr<const WirePacket> WirePacket::make(PacketType type, std::string_view data) {
  std::string text;
  text.reserve(1 + data.size());
  text.push_back(static_cast<char>('0' + static_cast<uint8_t>(type)));
  text.append(data);
  return std::make_shared<const WirePacket>(false, std::move(text));
}

std::shared_ptr<const WirePacket> WirePacket::make_binary(std::string bytes) {
  return std::make_shared<const WirePacket>(true, std::move(bytes));
}

std::optional<Packet> decode_text_packet(std::string_view frame) {
  if (frame.empty()) return std::nullopt;
  const char c = frame[0];
  if (c < '0' || c > '6') return std::nullopt;
  return Packet{static_cast<PacketType>(c - '0'), false, std::string(frame.substr(1))};
}

std::optional<std::vector<Packet>> decode_payload(std::string_view body) {
  std::vector<Packet> packets;
  if (body.empty()) return std::nullopt;
  while (true) {
    const size_t sep = body.find(kRecordSeparator);
    const std::string_view part = body.substr(0, sep);
    if (!part.empty() && part[0] == 'b') {
      auto bytes = core::base64_decode(part.substr(1));
      if (!bytes) return std::nullopt;
      packets.push_back(Packet{PacketType::message, true, std::move(*bytes)});
    } else {
      auto packet = decode_text_packet(part);
      if (!packet) return std::nullopt;
      packets.push_back(std::move(*packet));
    }
    if (sep == std::string_view::npos) break;
    body.remove_prefix(sep + 1);
  }
  return packets;
}

size_t encode_payload(std::span<const WirePacketPtr> packets, size_t max_bytes, std::string& out) {
  size_t count = 0;
  for (const auto& packet : packets) {
    const size_t encoded_size =
        packet->binary() ? 1 + (packet->data().size() + 2) / 3 * 4 : packet->data().size();
    const size_t needed = encoded_size + (count ? 1 : 0);
    if (count > 0 && out.size() + needed > max_bytes) break;
    if (count) out.push_back(kRecordSeparator);
    if (packet->binary()) {
      out.push_back('b');
      out.append(core::base64_encode(packet->data()));
    } else {
      out.append(packet->data());
    }
    ++count;
  }
  return count;
}

}  // namespace dchat::engineio
