#include "core/base64.hpp"

#include <sodium.h>

namespace dchat::core {

std::string base64_encode(std::string_view bytes) {
  const size_t encoded_len = sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  std::string out(encoded_len, '\0');  // includes the terminating NUL sodium writes
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(encoded_len - 1);
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  // libsodium 1.0.18 takes bytes >= 0x80 (negative chars) for alphabet letters: refuse them here.
  for (char c : text)
    if (static_cast<unsigned char>(c) >= 0x80) return std::nullopt;
  std::string out(text.size() / 4 * 3 + 3, '\0');
  size_t written = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &written, &end,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != text.data() + text.size()) {
    return std::nullopt;
  }
  out.resize(written);
  return out;
}

}  // namespace dchat::core
