// Streaming multipart/form-data parsing (http::MultipartParser): the boundary parameter and the
// framing of bodies (CRLFs, preamble and epilogue, splits at every offset, malformed framing).
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "http/multipart.hpp"
#include "multipart_test_support.hpp"

namespace {

using namespace multipart_test;  // NOLINT: the test vocabulary (Parse, FilePart, kType, ...)

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

}  // namespace
