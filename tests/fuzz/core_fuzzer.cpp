// Fuzzes core::is_valid_utf8 against an independent Table 3-7 reference, and core::base64_*.
//
// Properties:
//  - is_valid_utf8 agrees with the reference on every input;
//  - base64_decode(base64_encode(x)) == x;
//  - when base64_decode(x) succeeds, x only uses the padded standard alphabet and
//    base64_encode of the result gives back x (decoding accepts canonical base64 only).
#include <cstdint>
#include <string>
#include <string_view>

#include "core/base64.hpp"
#include "core/utf8.hpp"
#include "fuzz_check.hpp"

namespace {

bool ReferenceUtf8(std::string_view text) {
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  const size_t n = text.size();
  auto in = [](uint8_t b, uint8_t lo, uint8_t hi) { return b >= lo && b <= hi; };
  for (size_t i = 0; i < n;) {
    const uint8_t b0 = s[i];
    if (b0 <= 0x7F) {
      ++i;
      continue;
    }
    uint8_t lo1 = 0x80, hi1 = 0xBF;
    size_t len;
    if (in(b0, 0xC2, 0xDF)) len = 2;
    else if (b0 == 0xE0) len = 3, lo1 = 0xA0;
    else if (in(b0, 0xE1, 0xEC) || in(b0, 0xEE, 0xEF)) len = 3;
    else if (b0 == 0xED) len = 3, hi1 = 0x9F;
    else if (b0 == 0xF0) len = 4, lo1 = 0x90;
    else if (in(b0, 0xF1, 0xF3)) len = 4;
    else if (b0 == 0xF4) len = 4, hi1 = 0x8F;
    else return false;
    if (n - i < len || !in(s[i + 1], lo1, hi1)) return false;
    for (size_t k = 2; k < len; ++k)
      if (!in(s[i + k], 0x80, 0xBF)) return false;
    i += len;
  }
  return true;
}

bool IsBase64Char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' ||
         c == '=';
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);

  FUZZ_CHECK(dchat::core::is_valid_utf8(in) == ReferenceUtf8(in));

  const std::string encoded = dchat::core::base64_encode(in);
  const auto back = dchat::core::base64_decode(encoded);
  FUZZ_CHECK(back && *back == in);

  if (const auto decoded = dchat::core::base64_decode(in)) {
    for (char c : in) FUZZ_CHECK(IsBase64Char(c));
    FUZZ_CHECK(dchat::core::base64_encode(*decoded) == in);
  }
  return 0;
}
