#include "socketio/cluster_envelope.hpp"

#include <cstring>
#include <limits>

namespace dchat::socketio {

namespace {

constexpr char kMagic[2] = {'D', 'C'};
constexpr uint8_t kVersion = 1;
constexpr uint32_t kMaxCount = 1u << 20;  // sanity bound on list lengths in untrusted input

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}
  void u8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u32(uint32_t v) {
    for (int i = 0; i < 4; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  void u64(uint64_t v) {
    for (int i = 0; i < 8; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  void bytes(std::string_view s) {
    u32(static_cast<uint32_t>(s.size()));
    out_.append(s);
  }
  void strings(const std::vector<std::string>& list) {
    u32(static_cast<uint32_t>(list.size()));
    for (const auto& s : list) bytes(s);
  }

 private:
  std::string& out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  bool done() const { return ok_ && in_.empty(); }
  uint8_t u8() {
    if (!need(1)) return 0;
    const auto v = static_cast<uint8_t>(in_[0]);
    in_.remove_prefix(1);
    return v;
  }
  uint32_t u32() {
    if (!need(4)) return 0;
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= uint32_t(static_cast<uint8_t>(in_[i])) << (8 * i);
    in_.remove_prefix(4);
    return v;
  }
  uint64_t u64() {
    if (!need(8)) return 0;
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= uint64_t(static_cast<uint8_t>(in_[i])) << (8 * i);
    in_.remove_prefix(8);
    return v;
  }
  std::string bytes() {
    const uint32_t n = u32();
    if (!need(n)) return {};
    std::string s(in_.substr(0, n));
    in_.remove_prefix(n);
    return s;
  }
  uint32_t count() {
    const uint32_t n = u32();
    // Each element takes at least 4 bytes, so a count larger than that is a lie.
    if (n > kMaxCount || n > in_.size() / 4 + 1) ok_ = false;
    return ok_ ? n : 0;
  }
  std::vector<std::string> strings() {
    std::vector<std::string> list(count());
    for (auto& s : list) s = bytes();
    return list;
  }

 private:
  bool need(size_t n) {
    if (!ok_ || in_.size() < n) {
      ok_ = false;
      return false;
    }
    return true;
  }
  std::string_view in_;
  bool ok_ = true;
};

}  // namespace

std::string encode_envelope(const ClusterEnvelope& e) {
  std::string out;
  size_t reserve = 64 + e.origin.size() + e.room.size();
  for (const auto& f : e.frames) reserve += 5 + f.data.size();
  out.reserve(reserve);
  Writer w(out);
  out.append(kMagic, 2);
  w.u8(kVersion);
  w.u8(static_cast<uint8_t>(e.type));
  w.bytes(e.origin);
  w.u64(e.request_id);
  // Flags: bit 0 volatile, bit 1 close the connections (disconnect_sockets).
  w.u8(static_cast<uint8_t>((e.is_volatile ? 1 : 0) | (e.close_connection ? 2 : 0)));
  w.strings(e.rooms);
  w.strings(e.except);
  w.bytes(e.room);
  w.u32(static_cast<uint32_t>(e.frames.size()));
  for (const auto& f : e.frames) {
    w.u8(f.binary ? 1 : 0);
    w.bytes(f.data);
  }
  w.u32(static_cast<uint32_t>(e.sockets.size()));
  for (const auto& s : e.sockets) {
    w.bytes(s.id);
    w.strings(s.rooms);
    w.bytes(s.data_json);
  }
  return out;
}

std::optional<ClusterEnvelope> decode_envelope(std::string_view bytes) {
  if (bytes.size() < 4 || std::memcmp(bytes.data(), kMagic, 2) != 0) return std::nullopt;
  Reader r(bytes.substr(2));
  if (r.u8() != kVersion) return std::nullopt;
  ClusterEnvelope e;
  const uint8_t type = r.u8();
  if (type < 1 || type > 6) return std::nullopt;
  e.type = static_cast<ClusterEnvelope::Type>(type);
  e.origin = r.bytes();
  e.request_id = r.u64();
  const uint8_t flags = r.u8();
  if (flags > 3) return std::nullopt;
  e.is_volatile = (flags & 1) != 0;
  e.close_connection = (flags & 2) != 0;
  e.rooms = r.strings();
  e.except = r.strings();
  e.room = r.bytes();
  e.frames.resize(r.count());
  for (auto& f : e.frames) {
    const uint8_t binary = r.u8();
    if (binary > 1) return std::nullopt;
    f.binary = binary == 1;
    f.data = r.bytes();
  }
  e.sockets.resize(r.count());
  for (auto& s : e.sockets) {
    s.id = r.bytes();
    s.rooms = r.strings();
    s.data_json = r.bytes();
  }
  if (!r.done() || e.origin.empty()) return std::nullopt;
  // A broadcast's first frame is the text packet; attachments follow.
  if (e.type == ClusterEnvelope::Type::broadcast && (e.frames.empty() || e.frames.front().binary)) return std::nullopt;
  return e;
}

}  // namespace dchat::socketio
