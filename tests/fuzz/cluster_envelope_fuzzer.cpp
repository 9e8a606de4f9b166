// Fuzzes socketio::decode_envelope, the bytes replicas send each other through a broker.
//
// Properties for every input that decodes: encode(decode(x)) decodes again to the same
// envelope, and encoding that gives the same bytes (the format is canonical); a broadcast has a
// text first frame; the origin is never empty.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "socketio/cluster_envelope.hpp"

namespace sio = dchat::socketio;

namespace {

bool same(const sio::ClusterEnvelope& a, const sio::ClusterEnvelope& b) {
  if (a.type != b.type || a.origin != b.origin || a.request_id != b.request_id || a.is_volatile != b.is_volatile ||
      a.rooms != b.rooms || a.except != b.except || a.room != b.room || a.frames.size() != b.frames.size() ||
      a.sockets.size() != b.sockets.size())
    return false;
  for (size_t i = 0; i < a.frames.size(); ++i)
    if (a.frames[i].binary != b.frames[i].binary || a.frames[i].data != b.frames[i].data) return false;
  for (size_t i = 0; i < a.sockets.size(); ++i)
    if (a.sockets[i].id != b.sockets[i].id || a.sockets[i].rooms != b.sockets[i].rooms ||
        a.sockets[i].data_json != b.sockets[i].data_json)
      return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto e = sio::decode_envelope(in);
  if (!e) return 0;
  FUZZ_CHECK(!e->origin.empty());
  if (e->type == sio::ClusterEnvelope::Type::broadcast) FUZZ_CHECK(!e->frames.empty() && !e->frames.front().binary);
  const std::string encoded = sio::encode_envelope(*e);
  FUZZ_CHECK(encoded == in);
  const auto again = sio::decode_envelope(encoded);
  FUZZ_CHECK(again && same(*e, *again));
  return 0;
}
