#include "core/random_id.hpp"

#include <sodium.h>

#include <stdexcept>
#include <vector>

namespace dchat::core {

std::string random_id(size_t bytes) {
  static const bool initialized = [] {
    if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialize");
    return true;
  }();
  (void)initialized;
  unsigned char raw[64];
  if (bytes > sizeof raw) bytes = sizeof raw;
  randombytes_buf(raw, bytes);
  const int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string out(sodium_base64_encoded_len(bytes, variant), '\0');
  sodium_bin2base64(out.data(), out.size(), raw, bytes, variant);
  out.resize(out.size() - 1);  // sodium writes a terminating NUL
  return out;
}

}  // namespace dchat::core
