#include "chat/attachment_id.hpp"

#include <sodium.h>

#include <stdexcept>

namespace dchat::chat {

std::string new_attachment_id() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium cannot be initialised");
  unsigned char bytes[kAttachmentIdBytes];
  randombytes_buf(bytes, sizeof bytes);
  char text[sodium_base64_ENCODED_LEN(kAttachmentIdBytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(text, sizeof text, bytes, sizeof bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return std::string(text);
}

bool is_attachment_id(std::string_view id) noexcept {
  if (id.size() != kAttachmentIdChars) return false;
  for (char c : id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return false;
  }
  // 16 bytes are 128 bits: the last character carries 2 bits and 4 zero bits of padding, so it
  // is one of A Q g w (as libsodium writes it); anything else would be a second spelling.
  const char last = id.back();
  return last == 'A' || last == 'Q' || last == 'g' || last == 'w';
}

}  // namespace dchat::chat
