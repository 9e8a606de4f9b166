// base64_encode / base64_decode: standard alphabet, padded (Engine.IO polling "b" packets).
#include "core/base64.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>

namespace {

using dchat::core::base64_decode;
using dchat::core::base64_encode;

struct Vector {
  const char* plain;
  const char* encoded;
};

// RFC 4648 section 10 test vectors.
constexpr Vector kRfc4648[] = {
    {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},         {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
};

TEST(Base64, EncodesRfc4648Vectors) {
  for (const auto& v : kRfc4648) EXPECT_EQ(base64_encode(v.plain), v.encoded) << "plain=" << v.plain;
}

TEST(Base64, DecodesRfc4648Vectors) {
  for (const auto& v : kRfc4648) {
    const auto decoded = base64_decode(v.encoded);
    ASSERT_TRUE(decoded.has_value()) << "encoded=" << v.encoded;
    EXPECT_EQ(*decoded, v.plain);
  }
}

TEST(Base64, EncodesBytesUsingPlusAndSlash) {
  EXPECT_EQ(base64_encode(std::string("\xfb\xff\xbf", 3)), "+/+/");
  EXPECT_EQ(base64_encode(std::string("\x01\x02\x03\x04", 4)), "AQIDBA==");
}

TEST(Base64, RoundTripsEveryByteValueAndLength) {
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  for (size_t len = 0; len <= all.size(); ++len) {
    const std::string plain = all.substr(256 - len);  // varying start byte too
    const std::string encoded = base64_encode(plain);
    EXPECT_EQ(encoded.size(), (len + 2) / 3 * 4) << "len=" << len;
    const auto decoded = base64_decode(encoded);
    ASSERT_TRUE(decoded.has_value()) << "len=" << len;
    EXPECT_EQ(*decoded, plain) << "len=" << len;
  }
}

TEST(Base64, EmbeddedNulBytesSurvive) {
  const std::string plain("\0a\0", 3);
  const auto decoded = base64_decode(base64_encode(plain));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, plain);
}

TEST(Base64, RejectsMissingOrWrongPadding) {
  for (const char* bad : {"Zg", "Zg=", "Zm8", "Zg===", "Zm8==", "Zm9v=", "Zm9v====", "AQIDBA", "AQIDBA="}) {
    EXPECT_EQ(base64_decode(bad), std::nullopt) << "input=" << bad;
  }
}

TEST(Base64, RejectsTruncatedQuantum) {
  for (const char* bad : {"Z", "Zm9vY", "Z===", "=", "==", "===="}) {
    EXPECT_EQ(base64_decode(bad), std::nullopt) << "input=" << bad;
  }
}

TEST(Base64, RejectsCharactersOutsideTheStandardAlphabet) {
  for (const char* bad : {"Zm9v!", "Zm 9v", "Zm9v\n", " Zm9v", "-_-_", "Zg==Zg=="}) {
    EXPECT_EQ(base64_decode(bad), std::nullopt) << "input=" << bad;
  }
  EXPECT_EQ(base64_decode(std::string("Zm9v\0", 5)), std::nullopt);
}

// Bytes >= 0x80 are not in the alphabet either. (libsodium 1.0.18 classifies characters with
// constant-time macros that assume 0..255 but receives a signed char, so it reads every such
// byte as '/'; the wrapper has to reject them itself.)
TEST(Base64, RejectsNonAsciiBytes) {
  for (int b : {0x80, 0xAF, 0xC3, 0xFF}) {
    const std::string bad = "Zm9" + std::string(1, static_cast<char>(b));
    const auto decoded = base64_decode(bad);
    EXPECT_EQ(decoded, std::nullopt) << "byte 0x" << std::hex << b << " decoded to " << decoded->size()
                                     << " bytes, last 0x" << int(static_cast<uint8_t>(decoded->back()));
  }
  EXPECT_EQ(base64_decode("\xff\xff\xff\xff"), std::nullopt);
  EXPECT_EQ(base64_decode("\xc3\xa9\xc3\xa9"), std::nullopt);  // "éé" in UTF-8
}

TEST(Base64, RejectsNonCanonicalTrailingBits) {
  // "Zg==" is 'f'; "Zh==" carries the same byte with non-zero padding bits. libsodium rejects
  // it, which makes decode -> encode the identity (the engineio fuzz target relies on that).
  EXPECT_EQ(base64_decode("Zh=="), std::nullopt);
  EXPECT_EQ(base64_decode("Zm9="), std::nullopt);
}

}  // namespace
