// Fuzzes socketio::decode, with encode / encode_event round trips.
//
// Properties for every input that decodes:
//  - the packet is well formed (namespace starts with '/' and has no ',', attachment count
//    within kMaxAttachments, ack types carry an id);
//  - decode(encode(p)) succeeds and yields the same packet, and encoding that again gives the
//    same text (encode output is canonical);
//    EXCEPT for floating-point numbers, compared to within a few ulps: Boost.JSON 1.81 parses
//    doubles imprecisely (2.5e33 becomes 2.5000000000000002e33) and has no precise mode, so a
//    re-encoded double may drift in its last digits. That drift is a known, reported issue
//    with its own unit test (SocketIoDecode.NumbersAreParsedToTheNearestDouble); tolerating it
//    here keeps this target useful for finding everything else.
//  - for events, encode_event(nsp, name, args, attachments, id) equals encode(p).
// Every input that does not decode carries an error text.
#include <boost/json.hpp>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "socketio/packet.hpp"

namespace sio = dchat::socketio;
namespace json = boost::json;

namespace {

bool NearlyEqualDouble(double a, double b) {
  if (a == b) return true;
  if (!std::isfinite(a) || !std::isfinite(b)) return false;
  return std::fabs(a - b) <= 8 * 2.220446049250313e-16 * std::fmax(std::fabs(a), std::fabs(b));
}

// Structural JSON equality, doubles compared to within a few ulps.
bool SameJson(const json::value& a, const json::value& b) {
  if (a.is_double() && b.is_double()) return NearlyEqualDouble(a.get_double(), b.get_double());
  if (a.kind() != b.kind()) return a == b;  // int64/uint64 of equal value compare equal
  if (a.is_array()) {
    const auto &x = a.get_array(), &y = b.get_array();
    if (x.size() != y.size()) return false;
    for (size_t i = 0; i < x.size(); ++i)
      if (!SameJson(x[i], y[i])) return false;
    return true;
  }
  if (a.is_object()) {
    const auto &x = a.get_object(), &y = b.get_object();
    if (x.size() != y.size()) return false;
    for (const auto& kv : x) {
      const auto* other = y.if_contains(kv.key());
      if (!other || !SameJson(kv.value(), *other)) return false;
    }
    return true;
  }
  return a == b;
}

bool HasDouble(const json::value& v) {
  if (v.is_double()) return true;
  if (v.is_array())
    for (const auto& e : v.get_array())
      if (HasDouble(e)) return true;
  if (v.is_object())
    for (const auto& kv : v.get_object())
      if (HasDouble(kv.value())) return true;
  return false;
}

}  // namespace

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
  FUZZ_CHECK(SameJson(q.data, p.data));
  if (!HasDouble(p.data)) {
    FUZZ_CHECK(q.data == p.data);
    FUZZ_CHECK(sio::encode(q) == encoded);
  }

  const bool event = p.type == sio::PacketType::event || (p.type == sio::PacketType::binary_event && p.attachments > 0);
  if (event) {
    const json::array& all = p.data.as_array();
    const json::string& name = all.front().as_string();
    const json::array args(all.begin() + 1, all.end());
    FUZZ_CHECK(sio::encode_event(p.nsp, std::string_view(name.data(), name.size()), args, p.attachments, p.id) ==
               encoded);
  }
  return 0;
}
