// Streaming multipart/form-data parsing: http::MultipartParser.
#include "http/multipart.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace {

using dchat::http::MultipartError;
using dchat::http::MultipartLimits;
using dchat::http::MultipartParser;
using dchat::http::MultipartPart;
using dchat::http::MultipartSink;

// ---------------------------------------------------------------------------------------------
// Helpers

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

bool operator==(const Part& a, const Part& b) {
  return a.headers.name == b.headers.name && a.headers.filename == b.headers.filename &&
         a.headers.has_filename == b.headers.has_filename &&
         a.headers.filename_had_path == b.headers.filename_had_path &&
         a.headers.content_type == b.headers.content_type && a.data == b.data && a.ended == b.ended;
}

[[maybe_unused]] void PrintTo(const Part& p, std::ostream* os) {
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
Result Parse(std::string_view content_type, std::string_view body, size_t chunk = 0, MultipartLimits limits = {}) {
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
Result ParseSplit(std::string_view content_type, std::string_view body, std::vector<size_t> cuts) {
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

constexpr std::string_view kType = "multipart/form-data; boundary=XyZzy";

std::string FilePart(std::string_view name, std::string_view filename, std::string_view data,
                     std::string_view boundary = "XyZzy") {
  std::string s = "--" + std::string(boundary) + "\r\n";
  s += "Content-Disposition: form-data; name=\"" + std::string(name) + "\"; filename=\"" + std::string(filename) + "\"\r\n";
  s += "Content-Type: application/octet-stream\r\n\r\n";
  s += data;
  s += "\r\n";
  return s;
}

std::string FieldPart(std::string_view name, std::string_view data, std::string_view boundary = "XyZzy") {
  std::string s = "--" + std::string(boundary) + "\r\n";
  s += "Content-Disposition: form-data; name=\"" + std::string(name) + "\"\r\n\r\n";
  s += data;
  s += "\r\n";
  return s;
}

std::string Close(std::string_view boundary = "XyZzy") { return "--" + std::string(boundary) + "--\r\n"; }

// Bytes that look like framing: CR, LF, dashes, a boundary prefix, NULs.
std::string Tricky() {
  std::string s("\0\x01\xff", 3);
  s += "\r\n--XyZz\r\n--XyZ\r\r\n-\r\n--\r\n\r\n--XyZz\n\r";  // ends with a lone CR
  return s;
}

// ---------------------------------------------------------------------------------------------
// The boundary parameter

TEST(MultipartBoundary, PlainQuotedAndCaseInsensitive) {
  std::string b;
  EXPECT_EQ(MultipartParser::parse_boundary("multipart/form-data; boundary=abc", b), MultipartError::none);
  EXPECT_EQ(b, "abc");
  EXPECT_EQ(MultipartParser::parse_boundary("Multipart/Form-Data;BOUNDARY=abc", b), MultipartError::none);
  EXPECT_EQ(b, "abc");
  EXPECT_EQ(MultipartParser::parse_boundary("multipart/form-data; charset=utf-8; boundary=\"a b:c?\"", b),
            MultipartError::none);
  EXPECT_EQ(b, "a b:c?");
  EXPECT_EQ(MultipartParser::parse_boundary("multipart/form-data ; boundary = ----WebKitFormBoundary7MA4YWxk ; x=y", b),
            MultipartError::none);
  EXPECT_EQ(b, "----WebKitFormBoundary7MA4YWxk");
  // 70 characters is the RFC 2046 maximum.
  EXPECT_EQ(MultipartParser::parse_boundary("multipart/form-data; boundary=" + std::string(70, 'a'), b),
            MultipartError::none);
}

TEST(MultipartBoundary, Refused) {
  std::string b;
  EXPECT_EQ(MultipartParser::parse_boundary("text/plain; boundary=abc", b), MultipartError::not_multipart);
  EXPECT_EQ(MultipartParser::parse_boundary("multipart/mixed; boundary=abc", b), MultipartError::not_multipart);
  EXPECT_EQ(MultipartParser::parse_boundary("", b), MultipartError::not_multipart);
  EXPECT_EQ(MultipartParser::parse_boundary("multipart/form-data", b), MultipartError::missing_boundary);
  EXPECT_EQ(MultipartParser::parse_boundary("multipart/form-data; charset=utf-8", b), MultipartError::missing_boundary);
  EXPECT_EQ(MultipartParser::parse_boundary("multipart/form-data; boundary=\"\"", b), MultipartError::invalid_boundary);
  EXPECT_EQ(MultipartParser::parse_boundary("multipart/form-data; boundary=", b), MultipartError::invalid_boundary);
  EXPECT_EQ(MultipartParser::parse_boundary("multipart/form-data; boundary=" + std::string(71, 'a'), b),
            MultipartError::invalid_boundary);
  EXPECT_EQ(MultipartParser::parse_boundary("multipart/form-data; boundary=a<b", b), MultipartError::invalid_boundary);
  EXPECT_EQ(MultipartParser::parse_boundary("multipart/form-data; boundary=\"ends in space \"", b),
            MultipartError::invalid_boundary);
  EXPECT_EQ(MultipartParser::parse_boundary("multipart/form-data; boundary=\"unterminated", b),
            MultipartError::invalid_boundary);
  EXPECT_EQ(MultipartParser::parse_boundary("multipart/form-data; boundary=a; boundary=b", b),
            MultipartError::invalid_boundary);
  EXPECT_EQ(MultipartParser::parse_boundary("multipart/form-data; boundary=a b", b), MultipartError::invalid_boundary);
  EXPECT_TRUE(b.empty());
}

TEST(MultipartBoundary, ParserWithBadContentTypeRefusesEverything) {
  Result r;
  RecordingSink sink(&r);
  MultipartParser parser("multipart/form-data", sink);
  EXPECT_EQ(parser.error(), MultipartError::missing_boundary);
  EXPECT_FALSE(parser.feed(FieldPart("a", "b") + Close()));
  EXPECT_FALSE(parser.finish());
  EXPECT_TRUE(r.parts.empty());
}

// ---------------------------------------------------------------------------------------------
// Bodies

TEST(Multipart, NormalUpload) {
  const std::string png("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
  const Result r = Parse(kType, FilePart("avatar", "me.png", png) + Close());
  EXPECT_EQ(r.error, MultipartError::none);
  EXPECT_TRUE(r.complete);
  ASSERT_EQ(r.parts.size(), 1u);
  EXPECT_EQ(r.parts[0].headers.name, "avatar");
  EXPECT_EQ(r.parts[0].headers.filename, "me.png");
  EXPECT_TRUE(r.parts[0].headers.has_filename);
  EXPECT_FALSE(r.parts[0].headers.filename_had_path);
  EXPECT_EQ(r.parts[0].headers.content_type, "application/octet-stream");
  EXPECT_EQ(r.parts[0].data, png);
  EXPECT_TRUE(r.parts[0].ended);
}

TEST(Multipart, TwoFields) {
  const Result r = Parse(kType, FieldPart("title", "hello world") + FilePart("avatar", "a.gif", "GIF89a...") + Close());
  EXPECT_EQ(r.error, MultipartError::none);
  ASSERT_EQ(r.parts.size(), 2u);
  EXPECT_EQ(r.parts[0].headers.name, "title");
  EXPECT_FALSE(r.parts[0].headers.has_filename);
  EXPECT_EQ(r.parts[0].headers.content_type, "");
  EXPECT_EQ(r.parts[0].data, "hello world");
  EXPECT_EQ(r.parts[1].headers.name, "avatar");
  EXPECT_EQ(r.parts[1].data, "GIF89a...");
  EXPECT_TRUE(r.parts[1].ended);
}

TEST(Multipart, EmptyPartAndEmptyFilename) {
  const Result r = Parse(kType, FilePart("avatar", "", "") + FieldPart("x", "") + Close());
  EXPECT_EQ(r.error, MultipartError::none);
  ASSERT_EQ(r.parts.size(), 2u);
  EXPECT_TRUE(r.parts[0].headers.has_filename);
  EXPECT_EQ(r.parts[0].headers.filename, "");
  EXPECT_EQ(r.parts[0].data, "");
  EXPECT_EQ(r.parts[1].data, "");
  EXPECT_EQ(r.data_calls, 0u);
}

TEST(Multipart, CrlfSubtleties) {
  // Only CRLF + "--" + the whole boundary ends a part; every near miss is data, and the data's
  // own trailing CRLFs are kept (the delimiter takes exactly one).
  const std::vector<std::string> datas = {
      "ends with crlf\r\n",
      "\r\n\r\n",
      "\r\n--XyZz",                      // a prefix of the delimiter at the very end
      "a\r\r\n--XyZ\r\n-\r\n--\r",        // CR before a delimiter prefix, lone CR at the end
      "--XyZzy in the middle of a line",  // no CRLF before it: not a delimiter
      "\n--XyZzy\n",                     // LF alone is not CRLF
      Tricky(),
  };
  for (const std::string& d : datas) {
    const Result r = Parse(kType, FilePart("f", "f.bin", d) + Close());
    EXPECT_EQ(r.error, MultipartError::none) << testing::PrintToString(d);
    ASSERT_EQ(r.parts.size(), 1u) << testing::PrintToString(d);
    EXPECT_EQ(r.parts[0].data, d);
  }
}

TEST(Multipart, BoundaryPrefixOfLineIsMalformed) {
  // RFC 2046: the delimiter must not occur inside a part, so "--XyZzyX" cannot be data.
  const Result r = Parse(kType, FilePart("f", "f.bin", "\r\n--XyZzyX") + Close());
  EXPECT_EQ(r.error, MultipartError::malformed);
}

TEST(Multipart, BoundarySplitAtEveryOffset) {
  const std::string body = "preamble\r\n" + FieldPart("title", "x\r\n--XyZzX\r") +
                           FilePart("avatar", "me.png", Tricky()) + Close() + "epilogue";
  const Result whole = Parse(kType, body);
  ASSERT_EQ(whole.error, MultipartError::none);
  ASSERT_EQ(whole.parts.size(), 2u);
  for (size_t cut = 0; cut <= body.size(); ++cut) {
    const Result r = ParseSplit(kType, body, {cut});
    EXPECT_EQ(r.error, MultipartError::none) << "cut at " << cut;
    EXPECT_EQ(r.parts, whole.parts) << "cut at " << cut;
    EXPECT_TRUE(r.complete);
  }
  // Two cuts, both landing anywhere: exhaustive for the region around the second delimiter.
  const size_t second = body.find("\r\n--XyZzy\r\nContent-Disposition: form-data; name=\"avatar\"");
  ASSERT_NE(second, std::string::npos);
  for (size_t a = second - 2; a < second + 16; ++a)
    for (size_t b = a; b < second + 16; ++b) EXPECT_EQ(ParseSplit(kType, body, {a, b}).parts, whole.parts);
}

TEST(Multipart, OneByteAtATime) {
  const std::string body = FieldPart("title", "hello") + FilePart("avatar", "me.png", Tricky()) + Close();
  const Result whole = Parse(kType, body);
  const Result bytes = Parse(kType, body, 1);
  EXPECT_EQ(bytes.error, MultipartError::none);
  EXPECT_TRUE(bytes.complete);
  EXPECT_EQ(bytes.parts, whole.parts);
  for (size_t chunk : {2, 3, 5, 7, 13, 64}) EXPECT_EQ(Parse(kType, body, chunk).parts, whole.parts) << chunk;
}

TEST(Multipart, PreambleAndEpilogue) {
  const std::string body = "This is the preamble. --XyZzy is not a boundary here.\r\n\r\n" + FieldPart("a", "1") +
                           Close() + "This is the epilogue.\r\n--XyZzy\r\nignored\r\n";
  const Result r = Parse(kType, body);
  EXPECT_EQ(r.error, MultipartError::none);
  EXPECT_TRUE(r.complete);
  ASSERT_EQ(r.parts.size(), 1u);
  EXPECT_EQ(r.parts[0].data, "1");
  // No preamble at all, and no CRLF after the closing boundary.
  const Result bare = Parse(kType, FieldPart("a", "1") + "--XyZzy--");
  EXPECT_EQ(bare.error, MultipartError::none);
  EXPECT_TRUE(bare.complete);
}

TEST(Multipart, TransportPaddingAfterBoundary) {
  const std::string body = "--XyZzy \t \r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--XyZzy--  \r\n";
  const Result r = Parse(kType, body);
  EXPECT_EQ(r.error, MultipartError::none);
  ASSERT_EQ(r.parts.size(), 1u);
  EXPECT_EQ(r.parts[0].headers.name, "a");  // unquoted parameter value
  EXPECT_EQ(r.parts[0].data, "1");
}

TEST(Multipart, MissingFinalBoundary) {
  for (const std::string& body : {FieldPart("a", "1"), FieldPart("a", "1") + "--XyZzy", FieldPart("a", "1") + "--XyZzy-",
                                  std::string("--XyZzy\r\nContent-Disposition: form-data; name=a\r\n"),
                                  std::string("no boundary at all"), std::string()}) {
    const Result r = Parse(kType, body);
    EXPECT_EQ(r.error, MultipartError::incomplete) << testing::PrintToString(body);
    EXPECT_FALSE(r.complete);
  }
}

TEST(Multipart, MalformedFraming) {
  const std::vector<std::string> bodies = {
      "--XyZzy\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--XyZzy--",     // LF after boundary
      "--XyZzy\r\rContent-Disposition: form-data; name=a\r\n\r\n1\r\n--XyZzy--",   // CR CR
      "--XyZzy-x",                                                                 // single dash
      "--XyZzy x\r\n",                                                             // junk after padding
      "--XyZzy\r\n\r\n1\r\n--XyZzy--",                                             // no headers at all
      "--XyZzy\r\nContent-Type: text/plain\r\n\r\n1\r\n--XyZzy--",                 // no Content-Disposition
      "--XyZzy\r\nContent-Disposition: form-data\r\n\r\n1\r\n--XyZzy--",           // no name
      "--XyZzy\r\nContent-Disposition: attachment; name=a\r\n\r\n1\r\n--XyZzy--",  // not form-data
      "--XyZzy\r\nContent-Disposition: form-data; name=a; name=b\r\n\r\n--XyZzy--",
      "--XyZzy\r\nContent-Disposition: form-data; name=a\r\nContent-Disposition: form-data; name=b\r\n\r\n--XyZzy--",
      "--XyZzy\r\nContent-Disposition: form-data;\r\n name=a\r\n\r\n--XyZzy--",  // obsolete folding
      "--XyZzy\r\nContent-Disposition: form-data; name=\"a\r\n\r\n--XyZzy--",     // unterminated quote
      "--XyZzy\r\nContent-Disposition: form-data; name=a\nX: y\r\n\r\n--XyZzy--",  // bare LF
      "--XyZzy\r\nNo colon here\r\nContent-Disposition: form-data; name=a\r\n\r\n--XyZzy--",
      "--XyZzy\r\nBad Name: x\r\nContent-Disposition: form-data; name=a\r\n\r\n--XyZzy--",
  };
  for (const std::string& body : bodies) {
    EXPECT_EQ(Parse(kType, body).error, MultipartError::malformed) << testing::PrintToString(body);
    EXPECT_EQ(Parse(kType, body, 1).error, MultipartError::malformed) << testing::PrintToString(body);
  }
}

TEST(Multipart, HeaderNamesAreCaseInsensitive) {
  const std::string body =
      "--XyZzy\r\ncontent-DISPOSITION: Form-Data; NAME=\"avatar\"; FileName=\"x.webp\"\r\n"
      "CONTENT-TYPE:image/webp\r\nX-Other: ignored\r\n\r\nRIFF\r\n--XyZzy--\r\n";
  const Result r = Parse(kType, body);
  EXPECT_EQ(r.error, MultipartError::none);
  ASSERT_EQ(r.parts.size(), 1u);
  EXPECT_EQ(r.parts[0].headers.name, "avatar");
  EXPECT_EQ(r.parts[0].headers.filename, "x.webp");
  EXPECT_EQ(r.parts[0].headers.content_type, "image/webp");
}

TEST(Multipart, HeaderTooLong) {
  MultipartLimits limits;
  limits.max_header_bytes = 256;
  const std::string head = "--XyZzy\r\n";
  const std::string disp = "Content-Disposition: form-data; name=a\r\n";
  // The block (headers + the empty line) exactly at the limit is fine; one byte more is not.
  const std::string fits = "X-Pad: " + std::string(256 - disp.size() - 2 - 9, 'p') + "\r\n";
  ASSERT_EQ(disp.size() + fits.size() + 2, 256u);
  EXPECT_EQ(Parse(kType, head + disp + fits + "\r\n1\r\n--XyZzy--", 0, limits).error, MultipartError::none);
  const std::string over = "X-Pad: " + std::string(256 - disp.size() - 2 - 8, 'p') + "\r\n";
  EXPECT_EQ(Parse(kType, head + disp + over + "\r\n1\r\n--XyZzy--", 0, limits).error, MultipartError::header_too_large);
  // Default 8 KiB: a header that never ends is refused without reading the rest.
  Result r;
  RecordingSink sink(&r);
  MultipartParser parser(kType, sink);
  ASSERT_TRUE(parser.feed(head + "X-Long: "));
  bool ok = true;
  size_t fed = 0;
  while (ok && fed < 1024 * 1024) {
    ok = parser.feed(std::string(100, 'x'));
    fed += 100;
  }
  EXPECT_FALSE(ok);
  EXPECT_EQ(parser.error(), MultipartError::header_too_large);
  EXPECT_LE(fed, 8u * 1024 + 100);
}

TEST(Multipart, TooManyParts) {
  std::string sixteen;
  for (int i = 0; i < 16; ++i) sixteen += FieldPart("f" + std::to_string(i), "v");
  const Result ok = Parse(kType, sixteen + Close());
  EXPECT_EQ(ok.error, MultipartError::none);
  EXPECT_EQ(ok.parts.size(), 16u);
  const Result r = Parse(kType, sixteen + FieldPart("f16", "v") + Close());
  EXPECT_EQ(r.error, MultipartError::too_many_parts);
  EXPECT_EQ(r.parts.size(), 16u);  // the 17th was never reported
  MultipartLimits two;
  two.max_parts = 2;
  EXPECT_EQ(Parse(kType, FieldPart("a", "") + FieldPart("b", "") + FieldPart("c", "") + Close(), 0, two).error,
            MultipartError::too_many_parts);
}

TEST(Multipart, OverLimitFileRefusedEarly) {
  // A 20 MiB upload, streamed in 64 KiB chunks like a socket would deliver it.
  Result r;
  RecordingSink sink(&r);
  MultipartParser parser(kType, sink);
  const std::string head = "--XyZzy\r\nContent-Disposition: form-data; name=\"avatar\"; filename=\"big.png\"\r\n\r\n";
  ASSERT_TRUE(parser.feed(head));
  const std::string chunk(64 * 1024, 'A');
  const uint64_t total = 20u * 1024 * 1024;
  uint64_t fed = 0;
  bool accepted = true;
  while (accepted && fed < total) {
    accepted = parser.feed(chunk);
    fed += chunk.size();
  }
  EXPECT_FALSE(accepted);
  EXPECT_EQ(parser.error(), MultipartError::part_too_large);
  EXPECT_TRUE(dchat::http::is_size_error(parser.error()));
  // It stopped within one chunk of the 5 MiB limit, long before the end of the 20 MiB.
  EXPECT_LE(fed, 5u * 1024 * 1024 + chunk.size());
  EXPECT_LT(fed, total);
  ASSERT_EQ(r.parts.size(), 1u);
  EXPECT_EQ(r.parts[0].data.size(), 5u * 1024 * 1024);  // never more than the limit reached the sink
  EXPECT_FALSE(r.parts[0].ended);
  const size_t calls = r.data_calls;
  EXPECT_FALSE(parser.feed(chunk));  // and nothing more is accepted
  EXPECT_EQ(r.data_calls, calls);
}

TEST(Multipart, FileExactlyAtLimitIsAccepted) {
  MultipartLimits limits;
  limits.max_file_bytes = 1000;
  EXPECT_EQ(Parse(kType, FilePart("f", "f", std::string(1000, '\r')) + Close(), 0, limits).error, MultipartError::none);
  EXPECT_EQ(Parse(kType, FilePart("f", "f", std::string(1001, '\r')) + Close(), 0, limits).error,
            MultipartError::part_too_large);
  EXPECT_EQ(Parse(kType, FilePart("f", "f", std::string(1001, '\r')) + Close(), 7, limits).error,
            MultipartError::part_too_large);
}

TEST(Multipart, FieldLimitAppliesToPartsWithoutFilename) {
  MultipartLimits limits;
  limits.max_field_bytes = 10;
  EXPECT_EQ(Parse(kType, FieldPart("a", std::string(10, 'x')) + Close(), 0, limits).error, MultipartError::none);
  EXPECT_EQ(Parse(kType, FieldPart("a", std::string(11, 'x')) + Close(), 0, limits).error,
            MultipartError::part_too_large);
  EXPECT_EQ(Parse(kType, FilePart("a", "a.txt", std::string(11, 'x')) + Close(), 0, limits).error,
            MultipartError::none);
}

TEST(Multipart, BodyLimitIsExact) {
  const std::string body = FieldPart("a", "1") + Close();
  MultipartLimits limits;
  limits.max_body_bytes = body.size();
  EXPECT_EQ(Parse(kType, body, 0, limits).error, MultipartError::none);
  EXPECT_EQ(Parse(kType, body, 1, limits).error, MultipartError::none);
  limits.max_body_bytes = body.size() - 1;
  EXPECT_EQ(Parse(kType, body, 0, limits).error, MultipartError::too_large);
  EXPECT_EQ(Parse(kType, body, 3, limits).error, MultipartError::too_large);
  // The epilogue counts too.
  limits.max_body_bytes = body.size();
  EXPECT_EQ(Parse(kType, body + "x", 0, limits).error, MultipartError::too_large);
}

TEST(Multipart, FilenameIsReducedToItsBasename) {
  struct Case {
    std::string sent, kept;
    bool flagged;
  };
  const std::vector<Case> cases = {
      {"me.png", "me.png", false},
      {"../../etc/passwd", "passwd", true},
      {"/etc/passwd", "passwd", true},
      {"C:\\Users\\me\\photo.png", "photo.png", true},
      {"..", "", true},
      {"dir/..", "", true},
      {"caf\xc3\xa9.png", "caf\xc3\xa9.png", false},
  };
  for (const Case& c : cases) {
    const Result r = Parse(kType, FilePart("avatar", c.sent, "x") + Close());
    ASSERT_EQ(r.error, MultipartError::none) << c.sent;
    ASSERT_EQ(r.parts.size(), 1u);
    EXPECT_EQ(r.parts[0].headers.filename, c.kept) << c.sent;
    EXPECT_EQ(r.parts[0].headers.filename_had_path, c.flagged) << c.sent;
    EXPECT_TRUE(r.parts[0].headers.has_filename);
  }
}

TEST(Multipart, FilenameEscapesAndExtendedForm) {
  const Result quoted = Parse(kType,
                              "--XyZzy\r\nContent-Disposition: form-data; name=\"a\\\"b\"; filename=\"x\\\\y\\\".png\"\r\n\r\n"
                              "1\r\n--XyZzy--");
  ASSERT_EQ(quoted.error, MultipartError::none);
  EXPECT_EQ(quoted.parts[0].headers.name, "a\"b");
  EXPECT_EQ(quoted.parts[0].headers.filename, "y\".png");  // "x\y".png: the backslash separates
  EXPECT_TRUE(quoted.parts[0].headers.filename_had_path);
  const Result ext = Parse(kType,
                           "--XyZzy\r\nContent-Disposition: form-data; name=a; filename*=UTF-8''..%2Fna%C3%AFve%01.png\r\n\r\n"
                           "1\r\n--XyZzy--");
  ASSERT_EQ(ext.error, MultipartError::none);
  EXPECT_EQ(ext.parts[0].headers.filename, "na\xc3\xafve.png");
  EXPECT_TRUE(ext.parts[0].headers.filename_had_path);
  EXPECT_TRUE(ext.parts[0].headers.has_filename);
  // Raw control characters are not allowed in header lines at all.
  EXPECT_EQ(Parse(kType, "--XyZzy\r\nContent-Disposition: form-data; name=a; filename=\"a\x01.png\"\r\n\r\n"
                         "1\r\n--XyZzy--").error,
            MultipartError::malformed);
}

TEST(Multipart, QuotedBoundary) {
  const std::string type = "multipart/form-data; boundary=\"my boundary:1=?\"";
  const std::string body = FilePart("avatar", "a.png", "data\r\n--my boundary:1", "my boundary:1=?") +
                           Close("my boundary:1=?");
  const Result r = Parse(type, body);
  EXPECT_EQ(r.error, MultipartError::none);
  ASSERT_EQ(r.parts.size(), 1u);
  EXPECT_EQ(r.parts[0].data, "data\r\n--my boundary:1");
  EXPECT_EQ(Parse(type, body, 1).parts, r.parts);
}

TEST(Multipart, NothingReportedAfterAnError) {
  Result r;
  RecordingSink sink(&r);
  MultipartParser parser(kType, sink);
  EXPECT_FALSE(parser.feed("--XyZzy\r\n\r\n"));
  EXPECT_EQ(parser.error(), MultipartError::malformed);
  EXPECT_FALSE(parser.feed(FieldPart("a", "1") + Close()));
  EXPECT_FALSE(parser.finish());
  EXPECT_EQ(parser.error(), MultipartError::malformed);
  EXPECT_TRUE(r.parts.empty());
}

TEST(Multipart, EveryErrorHasAMessage) {
  for (int e = 0; e <= static_cast<int>(MultipartError::incomplete); ++e) {
    const char* m = dchat::http::multipart_error_message(static_cast<MultipartError>(e));
    ASSERT_NE(m, nullptr);
    EXPECT_GT(std::string_view(m).size(), 5u);
  }
  EXPECT_TRUE(dchat::http::is_size_error(MultipartError::too_large));
  EXPECT_FALSE(dchat::http::is_size_error(MultipartError::malformed));
}

}  // namespace
