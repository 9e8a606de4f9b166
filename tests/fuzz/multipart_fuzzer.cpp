// Fuzzes http::MultipartParser.
//
// Input: one configuration byte, then the body. Bits 0-1 pick the Content-Type from a table, or
// (value 3) take it from the input up to the first '\n', so boundary parsing is fuzzed too; bits
// 2-3 pick the limits (the avatar upload's, the same scaled down, small, tiny: every limit is
// reached); bits 4-7 seed the chunk-size schedule. Real uploads captured from Chromium and
// Node's fetch (tests/fuzz/seeds/capture.mjs) are seeds "captured_*": configuration 0x03 or 0x07,
// their Content-Type, '\n', their body.
//
// Properties:
//  - no sanitizer finding, whatever the bytes;
//  - feeding the body in random chunks (including 1 byte at a time) gives exactly the same parts,
//    headers, bytes, error and completion as feeding it at once;
//  - events are well nested (begin, data..., end), data pieces are never empty, no part exceeds
//    its limit, there are never more parts than allowed, the data never exceeds the input;
//  - reported filenames have no directory components and no control characters;
//  - a parser without error after finish() has seen the closing boundary.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "http/multipart.hpp"

namespace {

using dchat::http::MultipartError;
using dchat::http::MultipartLimits;
using dchat::http::MultipartParser;
using dchat::http::MultipartPart;

constexpr std::string_view kContentTypes[3] = {
    "multipart/form-data; boundary=XyZzy",
    "multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW",
    "multipart/form-data; boundary=\"a b\"",
};

// The avatar upload's limits (HttpApi::upload_avatar): the file limit, and the body limit that
// file plus `headroom` for the form's framing and small fields; the rest are the defaults.
MultipartLimits avatar_limits(uint64_t max_file, uint64_t headroom) {
  MultipartLimits l;
  l.max_file_bytes = max_file;
  l.max_body_bytes = max_file + headroom;
  return l;
}

MultipartLimits limits_for(unsigned i) {
  // 0: exactly the avatar upload's (5 MiB file, 5 MiB + 64 KiB body, which are the defaults);
  // 1: the same shape scaled down so real uploads (a few KB) reach the file and body limits.
  if (i == 0) return avatar_limits(5 * 1024 * 1024, 64 * 1024);
  if (i == 1) return avatar_limits(2048, 512);
  if (i == 2) return {4096, 64, 3, 100, 10};
  return {300, 40, 1, 5, 1};
}

struct Log {
  std::vector<std::string> events;  // "B..." part headers, "D..." data (merged), "E" end
  MultipartError error = MultipartError::none;
  bool complete = false;
  size_t parts = 0;
  uint64_t fed = 0;
};

// `fed` is left out: after an error the rest of the chunk being parsed still counts as fed, so
// it depends on where the chunk ended.
bool operator==(const Log& a, const Log& b) {
  return a.events == b.events && a.error == b.error && a.complete == b.complete && a.parts == b.parts;
}

class CheckingSink : public dchat::http::MultipartSink {
 public:
  CheckingSink(Log& log, const MultipartLimits& limits) : log_(log), limits_(limits) {}

  void on_part_begin(const MultipartPart& part) override {
    FUZZ_CHECK(!in_part_);
    in_part_ = true;
    ++parts_;
    FUZZ_CHECK(parts_ <= limits_.max_parts);
    FUZZ_CHECK(part.filename.find_first_of("/\\") == std::string::npos);
    FUZZ_CHECK(part.filename != "." && part.filename != "..");
    for (char c : part.filename) FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7F);
    if (!part.has_filename) FUZZ_CHECK(part.filename.empty() && !part.filename_had_path);
    part_limit_ = part.has_filename ? limits_.max_file_bytes : limits_.max_field_bytes;
    part_bytes_ = 0;
    std::string e = "B" + part.name;
    e.push_back('\0');
    e += part.filename;
    e.push_back('\0');
    e += part.content_type;
    e.push_back(part.has_filename ? 'f' : '-');
    e.push_back(part.filename_had_path ? 'p' : '-');
    log_.events.push_back(std::move(e));
  }
  void on_part_data(std::string_view bytes) override {
    FUZZ_CHECK(in_part_);
    FUZZ_CHECK(!bytes.empty());
    part_bytes_ += bytes.size();
    total_data_ += bytes.size();
    FUZZ_CHECK(part_bytes_ <= part_limit_);
    // Pieces are merged: how the data is split depends on the chunking, the bytes must not.
    if (log_.events.empty() || log_.events.back()[0] != 'D') log_.events.push_back("D");
    log_.events.back().append(bytes);
  }
  void on_part_end() override {
    FUZZ_CHECK(in_part_);
    in_part_ = false;
    log_.events.push_back("E");
  }

  uint64_t total_data() const { return total_data_; }

 private:
  Log& log_;
  const MultipartLimits& limits_;
  bool in_part_ = false;
  size_t parts_ = 0;
  uint64_t part_limit_ = 0;
  uint64_t part_bytes_ = 0;
  uint64_t total_data_ = 0;
};

Log finish_log(Log log, MultipartParser& parser, const CheckingSink& sink, std::string_view body) {
  log.error = parser.error();
  log.complete = parser.complete();
  log.parts = parser.part_count();
  log.fed = parser.bytes_fed();
  FUZZ_CHECK(log.fed <= body.size());
  FUZZ_CHECK(sink.total_data() <= body.size());
  if (log.error == MultipartError::none) FUZZ_CHECK(log.complete);
  FUZZ_CHECK(dchat::http::multipart_error_message(log.error)[0] != '\0');
  return log;
}

Log feed_at_once(std::string_view type, std::string_view body, const MultipartLimits& limits) {
  Log log;
  CheckingSink sink(log, limits);
  MultipartParser parser(type, sink, limits);
  // An exactly sized heap copy, so ASan reports any read past the end.
  const std::vector<char> copy(body.begin(), body.end());
  const bool ok = parser.feed(std::string_view(copy.data(), copy.size()));
  FUZZ_CHECK(ok == (parser.error() == MultipartError::none));
  if (ok) parser.finish();
  if (!ok) FUZZ_CHECK(!parser.feed("x") && !parser.finish());  // an error is final
  return finish_log(std::move(log), parser, sink, body);
}

Log feed_in_chunks(std::string_view type, std::string_view body, const MultipartLimits& limits, uint32_t seed) {
  Log log;
  CheckingSink sink(log, limits);
  MultipartParser parser(type, sink, limits);
  uint32_t rng = seed * 2654435761u + 1;
  bool ok = parser.error() == MultipartError::none;
  size_t off = 0;
  while (ok && off < body.size()) {
    rng ^= rng << 13, rng ^= rng >> 17, rng ^= rng << 5;
    size_t chunk = (rng & 3) == 0 ? 1 + (rng >> 8) % 200 : 1 + (rng >> 8) % 4;
    chunk = std::min(chunk, body.size() - off);
    const std::vector<char> copy(body.begin() + off, body.begin() + off + chunk);
    ok = parser.feed(std::string_view(copy.data(), copy.size()));
    off += chunk;
  }
  if (ok) parser.finish();
  return finish_log(std::move(log), parser, sink, body);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const unsigned config = data[0];
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string type;
  if ((config & 3) == 3) {
    const size_t nl = rest.find('\n');
    type.assign(rest.substr(0, nl));
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  } else {
    type.assign(kContentTypes[config & 3]);
  }
  const MultipartLimits limits = limits_for((config >> 2) & 3);

  const Log once = feed_at_once(type, rest, limits);
  FUZZ_CHECK(once == feed_in_chunks(type, rest, limits, config >> 4));
  FUZZ_CHECK(once == feed_in_chunks(type, rest, limits, (config >> 4) + 16));
  return 0;
}
