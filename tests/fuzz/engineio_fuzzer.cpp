// Fuzzes engineio::decode_text_packet and engineio::decode_payload.
//
// Properties:
//  - a decoded WebSocket text packet re-encodes (WirePacket::make) to exactly the input;
//  - a decoded polling payload re-encodes (encode_payload, no limit) to exactly the input
//    (text packets verbatim, binary ones as canonical padded base64);
//  - with a byte limit, encode_payload writes at least one packet, a whole-packet prefix of
//    the full body, within the limit unless it is the single first packet, and that prefix
//    decodes to the same leading packets.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engineio/packet.hpp"
#include "fuzz_check.hpp"

namespace eio = dchat::engineio;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);

  if (const auto p = eio::decode_text_packet(in)) {
    FUZZ_CHECK(!p->binary);
    const auto wire = eio::WirePacket::make(p->type, p->data);
    FUZZ_CHECK(wire->data() == in);
    FUZZ_CHECK(!wire->binary());
    FUZZ_CHECK(wire->wire_size() == in.size() + wire->ws_header().size);
  } else {
    FUZZ_CHECK(in.empty() || in[0] < '0' || in[0] > '6');
  }

  const auto packets = eio::decode_payload(in);
  if (!packets) return 0;
  FUZZ_CHECK(!packets->empty());

  std::vector<eio::WirePacketPtr> wire;
  for (const auto& p : *packets) {
    if (p.binary) {
      FUZZ_CHECK(p.type == eio::PacketType::message);
      wire.push_back(eio::WirePacket::make_binary(p.data));
    } else {
      wire.push_back(eio::WirePacket::make(p.type, p.data));
    }
  }
  std::string full;
  FUZZ_CHECK(eio::encode_payload(wire, SIZE_MAX, full) == wire.size());
  FUZZ_CHECK(full == in);

  const size_t limit = size / 2;
  std::string part;
  const size_t count = eio::encode_payload(wire, limit, part);
  FUZZ_CHECK(count >= 1 && count <= wire.size());
  FUZZ_CHECK(count == 1 || part.size() <= limit);
  FUZZ_CHECK(std::string_view(full).substr(0, part.size()) == part);
  FUZZ_CHECK(part.size() == full.size() || full[part.size()] == eio::kRecordSeparator);
  const auto again = eio::decode_payload(part);
  FUZZ_CHECK(again && again->size() == count);
  for (size_t i = 0; i < count; ++i) FUZZ_CHECK((*again)[i] == (*packets)[i]);
  return 0;
}
