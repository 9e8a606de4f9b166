// Streaming multipart/form-data parsing (http::MultipartParser): part headers, the limits (header
// size, part count, file, field and body sizes), filenames, and errors.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "http/multipart.hpp"
#include "multipart_test_support.hpp"

namespace {

using namespace multipart_test;  // NOLINT: the test vocabulary (Parse, FilePart, kType, ...)

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
