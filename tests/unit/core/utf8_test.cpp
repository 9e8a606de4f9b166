// is_valid_utf8: RFC 3629 / Unicode Table 3-7 well-formedness (what RFC 6455 requires of text).
#include "core/utf8.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace {

using dchat::core::is_valid_utf8;

std::string Bytes(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

std::string Hex(std::string_view s) {
  static const char* digits = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (!out.empty()) out.push_back(' ');
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

// An independent reference, written straight from Unicode Table 3-7 ("Well-Formed UTF-8 Byte
// Sequences"), range by range, so it shares no logic with the decoder-style implementation.
bool ReferenceValid(std::string_view text) {
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  const size_t n = text.size();
  auto in = [](uint8_t b, uint8_t lo, uint8_t hi) { return b >= lo && b <= hi; };
  size_t i = 0;
  while (i < n) {
    const uint8_t b0 = s[i];
    if (b0 <= 0x7F) {
      i += 1;
      continue;
    }
    uint8_t lo1 = 0x80, hi1 = 0xBF;
    size_t len;
    if (in(b0, 0xC2, 0xDF)) {
      len = 2;
    } else if (b0 == 0xE0) {
      len = 3, lo1 = 0xA0;
    } else if (in(b0, 0xE1, 0xEC) || in(b0, 0xEE, 0xEF)) {
      len = 3;
    } else if (b0 == 0xED) {
      len = 3, hi1 = 0x9F;
    } else if (b0 == 0xF0) {
      len = 4, lo1 = 0x90;
    } else if (in(b0, 0xF1, 0xF3)) {
      len = 4;
    } else if (b0 == 0xF4) {
      len = 4, hi1 = 0x8F;
    } else {
      return false;
    }
    if (n - i < len) return false;
    if (!in(s[i + 1], lo1, hi1)) return false;
    for (size_t k = 2; k < len; ++k)
      if (!in(s[i + k], 0x80, 0xBF)) return false;
    i += len;
  }
  return true;
}

TEST(Utf8, AcceptsEmptyAndAscii) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("hello, world"));
  EXPECT_TRUE(is_valid_utf8(std::string_view("\0\x7f", 2)));
}

TEST(Utf8, AcceptsEachSequenceLengthAtItsBoundaries) {
  const std::string valid[] = {
      Bytes({0xC2, 0x80}),              // U+0080, smallest 2-byte
      Bytes({0xC3, 0xA9}),              // é
      Bytes({0xDF, 0xBF}),              // U+07FF, largest 2-byte
      Bytes({0xE0, 0xA0, 0x80}),        // U+0800, smallest 3-byte
      Bytes({0xE2, 0x82, 0xAC}),        // €
      Bytes({0xED, 0x9F, 0xBF}),        // U+D7FF, just below the surrogates
      Bytes({0xEE, 0x80, 0x80}),        // U+E000, just above the surrogates
      Bytes({0xEF, 0xBF, 0xBF}),        // U+FFFF
      Bytes({0xEF, 0xBB, 0xBF}),        // BOM is a valid character
      Bytes({0xF0, 0x90, 0x80, 0x80}),  // U+10000, smallest 4-byte
      Bytes({0xF0, 0x9F, 0x98, 0x80}),  // 😀
      Bytes({0xF4, 0x8F, 0xBF, 0xBF}),  // U+10FFFF, largest code point
  };
  for (const auto& s : valid) EXPECT_TRUE(is_valid_utf8(s)) << Hex(s);
}

TEST(Utf8, AcceptsMixedText) {
  EXPECT_TRUE(is_valid_utf8("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"));  // κόσμε
  EXPECT_TRUE(is_valid_utf8("a\xc3\xa9" "b\xe2\x82\xac" "c\xf0\x9f\x98\x80" "d"));
}

TEST(Utf8, RejectsOverlongEncodings) {
  const std::string overlong[] = {
      Bytes({0xC0, 0x80}),              // NUL as 2 bytes
      Bytes({0xC0, 0xAF}),              // '/' as 2 bytes
      Bytes({0xC1, 0xBF}),              // U+007F as 2 bytes
      Bytes({0xE0, 0x80, 0x80}),        // NUL as 3 bytes
      Bytes({0xE0, 0x80, 0xAF}),        // '/' as 3 bytes
      Bytes({0xE0, 0x9F, 0xBF}),        // U+07FF as 3 bytes
      Bytes({0xF0, 0x80, 0x80, 0x80}),  // NUL as 4 bytes
      Bytes({0xF0, 0x80, 0x80, 0xAF}),  // '/' as 4 bytes
      Bytes({0xF0, 0x8F, 0xBF, 0xBF}),  // U+FFFF as 4 bytes
  };
  for (const auto& s : overlong) EXPECT_FALSE(is_valid_utf8(s)) << Hex(s);
}

TEST(Utf8, RejectsUtf16Surrogates) {
  const std::string surrogates[] = {
      Bytes({0xED, 0xA0, 0x80}),                    // U+D800
      Bytes({0xED, 0xAD, 0xBF}),                    // U+DB7F
      Bytes({0xED, 0xB0, 0x80}),                    // U+DC00
      Bytes({0xED, 0xBF, 0xBF}),                    // U+DFFF
      Bytes({0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80}),  // CESU-8 style surrogate pair for 😀
  };
  for (const auto& s : surrogates) EXPECT_FALSE(is_valid_utf8(s)) << Hex(s);
}

TEST(Utf8, RejectsCodePointsAboveU10FFFF) {
  EXPECT_FALSE(is_valid_utf8(Bytes({0xF4, 0x90, 0x80, 0x80})));  // U+110000
  EXPECT_FALSE(is_valid_utf8(Bytes({0xF7, 0xBF, 0xBF, 0xBF})));  // U+1FFFFF
  for (int lead = 0xF5; lead <= 0xFF; ++lead)
    EXPECT_FALSE(is_valid_utf8(Bytes({lead, 0x80, 0x80, 0x80}))) << "lead=" << lead;
}

TEST(Utf8, RejectsLoneContinuationAndInvalidLeadBytes) {
  for (int b : {0x80, 0x8F, 0xBF, 0xC0, 0xC1, 0xF8, 0xFC, 0xFE, 0xFF})
    EXPECT_FALSE(is_valid_utf8(Bytes({b}))) << "byte=" << b;
  EXPECT_FALSE(is_valid_utf8(Bytes({0xF8, 0x88, 0x80, 0x80, 0x80})));      // old 5-byte form
  EXPECT_FALSE(is_valid_utf8(Bytes({0xFC, 0x84, 0x80, 0x80, 0x80, 0x80})));  // old 6-byte form
}

TEST(Utf8, RejectsTruncatedSequences) {
  const std::string truncated[] = {
      Bytes({0xC3}),       Bytes({0xE2}),             Bytes({0xE2, 0x82}),
      Bytes({0xF0}),       Bytes({0xF0, 0x9F}),       Bytes({0xF0, 0x9F, 0x98}),
      Bytes({'a', 0xE2, 0x82}),
  };
  for (const auto& s : truncated) EXPECT_FALSE(is_valid_utf8(s)) << Hex(s);
}

TEST(Utf8, RejectsBadContinuationBytes) {
  const std::string bad[] = {
      Bytes({0xC3, 0x28}),             Bytes({0xC3, 0xC3}),             Bytes({0xE2, 0x28, 0xA1}),
      Bytes({0xE2, 0x82, 0x28}),       Bytes({0xF0, 0x28, 0x8C, 0xBC}), Bytes({0xF0, 0x90, 0x28, 0xBC}),
      Bytes({0xF0, 0x9F, 0x98, 0x28}), Bytes({0xE2, 0x82, 0xC0}),
  };
  for (const auto& s : bad) EXPECT_FALSE(is_valid_utf8(s)) << Hex(s);
}

TEST(Utf8, InvalidSequenceIsFoundAnywhereInTheText) {
  const std::string bad = Bytes({0xED, 0xA0, 0x80});
  const std::string ascii(37, 'x');  // pushes the bad bytes past any word-sized fast path
  EXPECT_FALSE(is_valid_utf8(bad + ascii));
  EXPECT_FALSE(is_valid_utf8(ascii + bad));
  EXPECT_FALSE(is_valid_utf8(ascii + bad + ascii));
  EXPECT_FALSE(is_valid_utf8(ascii + Bytes({0xC3})));
  EXPECT_TRUE(is_valid_utf8(ascii + Bytes({0xC3, 0xA9}) + ascii));
}

TEST(Utf8, ValidationStopsAtTheViewLength) {
  const std::string buffer = "ab" + Bytes({0xE2, 0x82, 0xAC});
  EXPECT_TRUE(is_valid_utf8(std::string_view(buffer).substr(0, 2)));
  EXPECT_FALSE(is_valid_utf8(std::string_view(buffer).substr(0, 4)));  // cuts the euro sign
  EXPECT_TRUE(is_valid_utf8(buffer));
}

TEST(Utf8, MatchesTable37ForEverySequenceOfUpToThreeBytes) {
  char buf[3];
  size_t mismatches = 0;
  for (int a = 0; a < 256; ++a) {
    buf[0] = static_cast<char>(a);
    if (is_valid_utf8({buf, 1}) != ReferenceValid({buf, 1}) && ++mismatches < 10)
      ADD_FAILURE() << "mismatch for " << Hex({buf, 1});
    for (int b = 0; b < 256; ++b) {
      buf[1] = static_cast<char>(b);
      if (is_valid_utf8({buf, 2}) != ReferenceValid({buf, 2}) && ++mismatches < 10)
        ADD_FAILURE() << "mismatch for " << Hex({buf, 2});
      for (int c = 0; c < 256; ++c) {
        buf[2] = static_cast<char>(c);
        if (is_valid_utf8({buf, 3}) != ReferenceValid({buf, 3}) && ++mismatches < 10)
          ADD_FAILURE() << "mismatch for " << Hex({buf, 3});
      }
    }
  }
  EXPECT_EQ(mismatches, 0u);
}

TEST(Utf8, MatchesTable37ForFourByteSequencesAtRangeBoundaries) {
  const int edges[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xFF};
  char buf[4];
  size_t mismatches = 0;
  for (int a = 0xC0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      for (int c : edges) {
        for (int d : edges) {
          buf[0] = static_cast<char>(a), buf[1] = static_cast<char>(b);
          buf[2] = static_cast<char>(c), buf[3] = static_cast<char>(d);
          if (is_valid_utf8({buf, 4}) != ReferenceValid({buf, 4}) && ++mismatches < 10)
            ADD_FAILURE() << "mismatch for " << Hex({buf, 4});
        }
      }
    }
  }
  EXPECT_EQ(mismatches, 0u);
}

}  // namespace
