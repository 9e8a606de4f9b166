// Helpers shared by the multipart/form-data parser tests: a sink that records every part (and
// checks the callbacks come in order), parsing at once, in chunks or split at given offsets, and
// builders for file and field parts.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "http/multipart.hpp"

namespace multipart_test {

using dchat::http::MultipartError;
using dchat::http::MultipartLimits;
using dchat::http::MultipartParser;
using dchat::http::MultipartPart;
using dchat::http::MultipartSink;

struct Part {
  MultipartPart headers;
  std::string data;
  bool ended = false;
};

struct Result {
  std::vector<Part> parts;
  MultipartError error = MultipartError::none;
  bool complete = false;
  size_t data_calls = 0;
};

inline bool operator==(const Part& a, const Part& b) {
  return a.headers.name == b.headers.name && a.headers.filename == b.headers.filename &&
         a.headers.has_filename == b.headers.has_filename &&
         a.headers.filename_had_path == b.headers.filename_had_path &&
         a.headers.content_type == b.headers.content_type && a.data == b.data && a.ended == b.ended;
}

inline void PrintTo(const Part& p, std::ostream* os) {
  *os << "{name=\"" << p.headers.name << "\" filename=\"" << p.headers.filename << "\""
      << (p.headers.has_filename ? " file" : "") << (p.headers.filename_had_path ? " had_path" : "")
      << " type=\"" << p.headers.content_type << "\" data[" << p.data.size() << "]"
      << (p.ended ? " ended" : " open") << "}";
}

class RecordingSink : public MultipartSink {
 public:
  Result* out;
  explicit RecordingSink(Result* r) : out(r) {}
  void on_part_begin(const MultipartPart& part) override {
    // A new part only after the previous one ended.
    if (!out->parts.empty()) {
      EXPECT_TRUE(out->parts.back().ended);
    }
    out->parts.push_back({part, {}, false});
  }
  void on_part_data(std::string_view bytes) override {
    EXPECT_FALSE(bytes.empty());
    ASSERT_FALSE(out->parts.empty());
    EXPECT_FALSE(out->parts.back().ended);
    out->parts.back().data.append(bytes);
    ++out->data_calls;
  }
  void on_part_end() override {
    ASSERT_FALSE(out->parts.empty());
    EXPECT_FALSE(out->parts.back().ended);
    out->parts.back().ended = true;
  }
};

// Feeds `body` in chunks of `chunk` bytes (0: all at once), then calls finish().
inline Result Parse(std::string_view content_type, std::string_view body, size_t chunk = 0, MultipartLimits limits = {}) {
  Result r;
  RecordingSink sink(&r);
  MultipartParser parser(content_type, sink, limits);
  bool ok = parser.error() == MultipartError::none;
  if (chunk == 0) chunk = std::max<size_t>(body.size(), 1);
  for (size_t off = 0; ok && off < body.size(); off += chunk) ok = parser.feed(body.substr(off, chunk));
  if (ok) parser.finish();
  r.error = parser.error();
  r.complete = parser.complete();
  return r;
}

// Feeds the body split at the given offsets.
inline Result ParseSplit(std::string_view content_type, std::string_view body, std::vector<size_t> cuts) {
  Result r;
  RecordingSink sink(&r);
  MultipartParser parser(content_type, sink);
  size_t prev = 0;
  cuts.push_back(body.size());
  bool ok = true;
  for (size_t cut : cuts) {
    if (ok) ok = parser.feed(body.substr(prev, cut - prev));
    prev = cut;
  }
  if (ok) parser.finish();
  r.error = parser.error();
  r.complete = parser.complete();
  return r;
}

inline constexpr std::string_view kType = "multipart/form-data; boundary=XyZzy";

inline std::string FilePart(std::string_view name, std::string_view filename, std::string_view data,
                     std::string_view boundary = "XyZzy") {
  std::string s = "--" + std::string(boundary) + "\r\n";
  s += "Content-Disposition: form-data; name=\"" + std::string(name) + "\"; filename=\"" + std::string(filename) + "\"\r\n";
  s += "Content-Type: application/octet-stream\r\n\r\n";
  s += data;
  s += "\r\n";
  return s;
}

inline std::string FieldPart(std::string_view name, std::string_view data, std::string_view boundary = "XyZzy") {
  std::string s = "--" + std::string(boundary) + "\r\n";
  s += "Content-Disposition: form-data; name=\"" + std::string(name) + "\"\r\n\r\n";
  s += data;
  s += "\r\n";
  return s;
}

inline std::string Close(std::string_view boundary = "XyZzy") { return "--" + std::string(boundary) + "--\r\n"; }

// Bytes that look like framing: CR, LF, dashes, a boundary prefix, NULs.
inline std::string Tricky() {
  std::string s("\0\x01\xff", 3);
  s += "\r\n--XyZz\r\n--XyZ\r\r\n-\r\n--\r\n\r\n--XyZz\n\r";  // ends with a lone CR
  return s;
}

}  // namespace multipart_test
