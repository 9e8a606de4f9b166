// Fuzzes socketio::decode, with encode / encode_event round trips.
//
// Properties for every input that decodes:
//  - the packet is well formed (namespace starts with '/' and has no ',', attachment count
//    within kMaxAttachments, ack types carry an id);
//  - decode(encode(p)) succeeds and yields the same packet, and encoding that again gives the
//    same text (encode output is canonical), doubles included: core::parse_json converts
//    numbers exactly and Boost.JSON serializes the shortest round-tripping form;
//  - for events, encode_event(nsp, name, args, attachments, id) equals encode(p).
// Every input that does not decode carries an error text.
#include <boost/json.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "socketio/packet.hpp"

namespace sio = dchat::socketio;
namespace json = boost::json;


extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const sio::DecodeResult r = sio::decode(in);
  if (!r.packet) {
    FUZZ_CHECK(r.error != nullptr && r.error[0] != '\0');
    return 0;
  }
  FUZZ_CHECK(r.error == nullptr);
  const sio::Packet& p = *r.packet;
  const bool binary = p.type == sio::PacketType::binary_event || p.type == sio::PacketType::binary_ack;
  FUZZ_CHECK(!p.nsp.empty() && p.nsp[0] == '/' && p.nsp.find(',') == std::string::npos);
  FUZZ_CHECK(p.attachments <= sio::kMaxAttachments);
  FUZZ_CHECK(binary || p.attachments == 0);
  if (p.type == sio::PacketType::ack || p.type == sio::PacketType::binary_ack) FUZZ_CHECK(p.id.has_value());

  const std::string encoded = sio::encode(p);
  const sio::DecodeResult r2 = sio::decode(encoded);
  if (!r2.packet) {
    std::fprintf(stderr, "re-decoding failed (%s): %s\n", r2.error, encoded.c_str());
  }
  FUZZ_CHECK(r2.packet.has_value());
  const sio::Packet& q = *r2.packet;
  FUZZ_CHECK(q.type == p.type);
  FUZZ_CHECK(q.nsp == p.nsp);
  FUZZ_CHECK(q.id == p.id);
  FUZZ_CHECK(q.attachments == p.attachments);
  FUZZ_CHECK(q.data == p.data);
  FUZZ_CHECK(sio::encode(q) == encoded);

  const bool event = p.type == sio::PacketType::event || (p.type == sio::PacketType::binary_event && p.attachments > 0);
  // Numeric event names are valid on the wire (socket.io-parser allows them) but encode_event
  // only emits string names, so the equivalence is checked for string names.
  if (event && p.data.as_array().front().is_string()) {
    const json::array& all = p.data.as_array();
    const json::string& name = all.front().as_string();
    const json::array args(all.begin() + 1, all.end());
    FUZZ_CHECK(sio::encode_event(p.nsp, std::string_view(name.data(), name.size()), args, p.attachments, p.id) ==
               encoded);
  }
  return 0;
}
