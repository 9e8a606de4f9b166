// Fuzzes http::ws::MessageReader::feed.
//
// Input: one configuration byte, then raw client bytes. Low 3 bits: max message size (from a
// table of edge values); the rest seeds the read-size schedule.
//
// Properties:
//  - no sanitizer finding; feed never consumes more than it was given;
//  - delivered text messages are valid UTF-8, no message exceeds the max size, control
//    payloads fit 125 bytes, nothing is delivered after a close frame;
//  - a trailing partial frame is left byte-for-byte untouched (the caller feeds it again);
//  - feeding the bytes in arbitrary chunks (buffer, feed, keep the rest) gives exactly the same
//    events, error code and consumed count as feeding them all at once.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "core/utf8.hpp"
#include "fuzz_check.hpp"
#include "http/ws_frame.hpp"

namespace {

namespace ws = dchat::http::ws;

constexpr uint64_t kMaxSizes[8] = {0, 1, 7, 125, 126, 1000, 65536, 1u << 20};

struct Log {
  std::vector<std::string> events;  // kind + payload, flattened for comparison
  uint16_t error = 0;
  size_t consumed = 0;
};

class CheckingSink : public ws::MessageSink {
 public:
  CheckingSink(Log& log, uint64_t max) : log_(log), max_(max) {}
  bool closed = false;

  void on_ws_message(bool binary, std::string_view payload) override {
    FUZZ_CHECK(!closed);
    FUZZ_CHECK(payload.size() <= max_);
    if (!binary) FUZZ_CHECK(dchat::core::is_valid_utf8(payload));
    log_.events.push_back((binary ? "B" : "T") + std::string(payload));
  }
  void on_ws_ping(std::string_view payload) override {
    FUZZ_CHECK(!closed);
    FUZZ_CHECK(payload.size() <= 125);
    log_.events.push_back("P" + std::string(payload));
  }
  void on_ws_close(uint16_t code, std::string_view reason) override {
    FUZZ_CHECK(!closed);
    FUZZ_CHECK(reason.size() <= 123);
    closed = true;
    log_.events.push_back("C" + std::to_string(code) + ":" + std::string(reason));
  }

 private:
  Log& log_;
  uint64_t max_;
};

Log FeedAtOnce(std::string_view wire, uint64_t max) {
  Log log;
  CheckingSink sink(log, max);
  ws::MessageReader reader(max);
  // An exactly sized heap copy, so ASan reports any read past the given length.
  std::vector<char> buf(wire.begin(), wire.end());
  ws::ProtocolError err;
  log.consumed = reader.feed(buf.data(), buf.size(), sink, err);
  FUZZ_CHECK(log.consumed <= buf.size());
  log.error = err.code;
  if (err) FUZZ_CHECK(err.reason != nullptr && err.reason[0] != '\0');
  if (!err && !sink.closed && log.consumed < buf.size()) {
    // Whatever is left is an incomplete frame and must not have been modified.
    FUZZ_CHECK(std::memcmp(buf.data() + log.consumed, wire.data() + log.consumed, buf.size() - log.consumed) == 0);
  }
  return log;
}

Log FeedInChunks(std::string_view wire, uint64_t max, uint32_t seed) {
  Log log;
  CheckingSink sink(log, max);
  ws::MessageReader reader(max);
  std::string buf;
  ws::ProtocolError err;
  uint32_t rng = seed * 2654435761u + 1;
  size_t off = 0;
  while (off < wire.size()) {
    rng ^= rng << 13, rng ^= rng >> 17, rng ^= rng << 5;
    size_t chunk = (rng & 3) == 0 ? 1 + (rng >> 8) % 300 : 1 + (rng >> 8) % 5;
    chunk = std::min(chunk, wire.size() - off);
    buf.append(wire.substr(off, chunk));
    off += chunk;
    // Feed an exactly sized copy (ASan catches over-reads); frames it does not consume are left
    // untouched by contract, so the copy in `buf` stays valid for the next call.
    std::vector<char> exact(buf.begin(), buf.end());
    const size_t n = reader.feed(exact.data(), exact.size(), sink, err);
    FUZZ_CHECK(n <= buf.size());
    log.consumed += n;
    buf.erase(0, n);
    if (err || sink.closed) break;
  }
  log.error = err.code;
  return log;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint64_t max = kMaxSizes[data[0] & 7];
  const uint32_t seed = data[0] >> 3;
  const std::string_view wire(reinterpret_cast<const char*>(data + 1), size - 1);

  const Log once = FeedAtOnce(wire, max);
  const Log chunked = FeedInChunks(wire, max, seed);
  FUZZ_CHECK(once.events == chunked.events);
  FUZZ_CHECK(once.error == chunked.error);
  FUZZ_CHECK(once.consumed == chunked.consumed);
  return 0;
}
