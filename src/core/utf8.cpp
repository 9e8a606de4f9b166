#include "core/utf8.hpp"

#include <cstdint>

namespace dchat::core {

bool is_valid_utf8(std::string_view text) noexcept {
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    // Fast path for ASCII, by far the common case in chat traffic.
    if (s[i] < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if ((s[i] & 0xE0) == 0xC0) {
      len = 2;
      cp = s[i] & 0x1F;
    } else if ((s[i] & 0xF0) == 0xE0) {
      len = 3;
      cp = s[i] & 0x0F;
    } else if ((s[i] & 0xF8) == 0xF0) {
      len = 4;
      cp = s[i] & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    // Reject overlong forms, UTF-16 surrogates and code points past U+10FFFF.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
      return false;
    }
    i += len;
  }
  return true;
}

}  // namespace dchat::core
