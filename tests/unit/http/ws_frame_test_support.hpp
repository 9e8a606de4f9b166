// Helpers shared by the WebSocket framing tests: a recording sink, client frame builders (masked
// or not, any length form) and feeding a reader at once or in chunks, in exactly sized buffers
// so AddressSanitizer sees any read past the given length.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "http/ws_frame.hpp"

namespace ws_frame_test {

namespace ws = dchat::http::ws;
// ---------------------------------------------------------------------------------------------
// Helpers

struct Event {
  enum Kind { kMessage, kPing, kClose };
  Kind kind = kMessage;
  bool binary = false;
  uint16_t code = 0;
  std::string data;
  bool operator==(const Event&) const = default;
};

inline void PrintTo(const Event& e, std::ostream* os) {
  static const char* kinds[] = {"message", "ping", "close"};
  *os << "{" << kinds[e.kind];
  if (e.kind == Event::kMessage) *os << (e.binary ? " binary" : " text");
  if (e.kind == Event::kClose) *os << " code=" << e.code;
  *os << " data[" << e.data.size() << "]=\"" << (e.data.size() <= 40 ? e.data : e.data.substr(0, 40) + "...")
      << "\"}";
}

inline Event Text(std::string s) { return {Event::kMessage, false, 0, std::move(s)}; }
inline Event Binary(std::string s) { return {Event::kMessage, true, 0, std::move(s)}; }
inline Event Ping(std::string s) { return {Event::kPing, false, 0, std::move(s)}; }
inline Event Close(uint16_t code, std::string reason) { return {Event::kClose, false, code, std::move(reason)}; }

class RecordingSink : public ws::MessageSink {
 public:
  std::vector<Event> events;
  void on_ws_message(bool binary, std::string_view payload) override {
    events.push_back({Event::kMessage, binary, 0, std::string(payload)});
  }
  void on_ws_ping(std::string_view payload) override { events.push_back(Ping(std::string(payload))); }
  void on_ws_close(uint16_t code, std::string_view reason) override {
    events.push_back(Close(code, std::string(reason)));
  }
};

// First-byte values: FIN bit | opcode.
constexpr uint8_t kFin = 0x80;
constexpr uint8_t kCont = 0x0, kText = 0x1, kBin = 0x2, kClose = 0x8, kPing = 0x9, kPong = 0xA;

using Key = std::array<uint8_t, 4>;
constexpr Key kKey{0x37, 0xfa, 0x21, 0x3d};  // the key of the RFC 6455 section 5.7 examples

// Length field forms: the smallest that fits, or forced 16/64-bit.
enum class LenForm { kAuto, k16, k64 };

// Header of a client frame (through the masking key) announcing `len` payload bytes.
inline std::string Header(uint8_t b0, uint64_t len, bool masked = true, Key key = kKey, LenForm form = LenForm::kAuto) {
  std::string out;
  out.push_back(static_cast<char>(b0));
  const uint8_t m = masked ? 0x80 : 0x00;
  if (form == LenForm::kAuto && len < 126) {
    out.push_back(static_cast<char>(m | len));
  } else if (form == LenForm::k16 || (form == LenForm::kAuto && len <= 0xFFFF)) {
    out.push_back(static_cast<char>(m | 126));
    out.push_back(static_cast<char>(len >> 8));
    out.push_back(static_cast<char>(len & 0xFF));
  } else {
    out.push_back(static_cast<char>(m | 127));
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((len >> (8 * i)) & 0xFF));
  }
  if (masked)
    for (uint8_t k : key) out.push_back(static_cast<char>(k));
  return out;
}

// A complete client frame carrying `payload`, masked with `key` unless `masked` is false.
inline std::string Frame(uint8_t b0, std::string_view payload, bool masked = true, Key key = kKey,
                  LenForm form = LenForm::kAuto) {
  std::string out = Header(b0, payload.size(), masked, key, form);
  for (size_t i = 0; i < payload.size(); ++i)
    out.push_back(masked ? static_cast<char>(static_cast<uint8_t>(payload[i]) ^ key[i % 4]) : payload[i]);
  return out;
}

inline std::string Pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 31 + 7) & 0xFF);
  return s;
}

struct FeedResult {
  size_t consumed = 0;
  ws::ProtocolError error;
  std::vector<Event> events;
};

// One feed() call over a copy of `bytes` (the reader unmasks in place) held in an exactly sized
// heap buffer, so AddressSanitizer reports any read past the given length.
inline FeedResult Feed(ws::MessageReader& reader, const std::string& bytes) {
  FeedResult r;
  RecordingSink sink;
  std::vector<char> exact(bytes.begin(), bytes.end());
  r.consumed = reader.feed(exact.data(), exact.size(), sink, r.error);
  r.events = std::move(sink.events);
  return r;
}

inline FeedResult Feed(uint64_t max, const std::string& bytes) {
  ws::MessageReader reader(max);
  return Feed(reader, bytes);
}

struct StreamResult {
  std::vector<Event> events;
  ws::ProtocolError error;
  size_t leftover = 0;  // bytes still buffered, unconsumed, at the end
};

// Delivers `bytes` `chunk` bytes at a time the way a connection does: append to a buffer, feed,
// drop what was consumed, keep the rest. Stops at an error or after a close frame.
inline StreamResult Stream(ws::MessageReader& reader, std::string_view bytes, size_t chunk) {
  StreamResult r;
  RecordingSink sink;
  std::string buffer;
  for (size_t off = 0; off < bytes.size(); off += chunk) {
    buffer.append(bytes.substr(off, chunk));
    // Exactly sized copy (see Feed); unconsumed bytes are left untouched, so `buffer` stays valid.
    std::vector<char> exact(buffer.begin(), buffer.end());
    const size_t consumed = reader.feed(exact.data(), exact.size(), sink, r.error);
    EXPECT_LE(consumed, buffer.size());
    buffer.erase(0, consumed);
    if (r.error || (!sink.events.empty() && sink.events.back().kind == Event::kClose)) break;
  }
  r.events = std::move(sink.events);
  r.leftover = buffer.size();
  return r;
}

constexpr uint64_t kMax = 1 << 20;

}  // namespace ws_frame_test
