#include "store/name_key.hpp"

#include <cstdint>

namespace dchat::store {

namespace {

// Simple lower-case mapping of one code point for the ranges listed in the header.
char32_t fold(char32_t c) {
  if (c >= U'A' && c <= U'Z') return c + 0x20;
  if (c < 0x80) return c;
  // Latin-1: À..Þ, except × (U+00D7).
  if (c >= 0x00C0 && c <= 0x00DE && c != 0x00D7) return c + 0x20;
  // Latin Extended-A: mostly upper/lower pairs, with the parity flipping at U+0139 and U+0179.
  if (c == 0x0130) return U'i';   // İ: simple fold to plain i
  if (c == 0x0178) return 0x00FF;  // Ÿ → ÿ
  if ((c >= 0x0100 && c <= 0x012F) || (c >= 0x0132 && c <= 0x0137) || (c >= 0x014A && c <= 0x0177)) {
    return (c % 2 == 0) ? c + 1 : c;
  }
  if ((c >= 0x0139 && c <= 0x0148) || (c >= 0x0179 && c <= 0x017E)) return (c % 2 == 1) ? c + 1 : c;
  // Greek capitals Α..Ω (U+03A2 is unassigned); final sigma folds to σ as in case folding.
  if (c >= 0x0391 && c <= 0x03A9 && c != 0x03A2) return c + 0x20;
  if (c == 0x03C2) return 0x03C3;
  // Cyrillic: Ѐ..Џ → ѐ..џ, А..Я → а..я.
  if (c >= 0x0400 && c <= 0x040F) return c + 0x50;
  if (c >= 0x0410 && c <= 0x042F) return c + 0x20;
  // Fullwidth Ａ..Ｚ.
  if (c >= 0xFF21 && c <= 0xFF3A) return c + 0x20;
  return c;
}

// Decodes one well-formed UTF-8 sequence at text[i]; returns its length, or 0 when the bytes
// there are not well-formed (the caller then copies one byte unchanged).
size_t decode(std::string_view text, size_t i, char32_t& out) {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(text[k]); };
  const uint8_t b0 = byte(i);
  const size_t left = text.size() - i;
  const auto cont = [&](size_t k) { return (byte(k) & 0xC0) == 0x80; };
  if (b0 < 0x80) {
    out = b0;
    return 1;
  }
  if (b0 >= 0xC2 && b0 <= 0xDF && left >= 2 && cont(i + 1)) {
    out = (char32_t(b0 & 0x1F) << 6) | (byte(i + 1) & 0x3F);
    return 2;
  }
  if (b0 >= 0xE0 && b0 <= 0xEF && left >= 3 && cont(i + 1) && cont(i + 2)) {
    const char32_t c = (char32_t(b0 & 0x0F) << 12) | (char32_t(byte(i + 1) & 0x3F) << 6) | (byte(i + 2) & 0x3F);
    if (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF)) return 0;  // overlong or surrogate
    out = c;
    return 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4 && left >= 4 && cont(i + 1) && cont(i + 2) && cont(i + 3)) {
    const char32_t c = (char32_t(b0 & 0x07) << 18) | (char32_t(byte(i + 1) & 0x3F) << 12) |
                       (char32_t(byte(i + 2) & 0x3F) << 6) | (byte(i + 3) & 0x3F);
    if (c < 0x10000 || c > 0x10FFFF) return 0;
    out = c;
    return 4;
  }
  return 0;
}

void encode(char32_t c, std::string& out) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

}  // namespace

std::string name_key(std::string_view name) {
  std::string key;
  key.reserve(name.size());
  size_t i = 0;
  while (i < name.size()) {
    char32_t c = 0;
    const size_t length = decode(name, i, c);
    if (length == 0) {
      key.push_back(name[i]);
      ++i;
      continue;
    }
    // Every folded code point in the table has a lower-case partner of the same UTF-8 length
    // except İ (2 bytes → 1), so the key is never longer than the name.
    encode(fold(c), key);
    i += length;
  }
  return key;
}

}  // namespace dchat::store
