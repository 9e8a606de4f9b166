#include "blob/blob_store.hpp"

#include <openssl/evp.h>

#include <stdexcept>

namespace dchat::blob {

bool is_blob_id(std::string_view id) {
  // Exactly the shape put() produces, so an id is always safe as a file name and in a URL:
  // no separators, no dots, no upper case (which would alias on case-insensitive volumes).
  if (id.size() != 64) return false;
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

bool is_attachment_blob_id(std::string_view id) {
  return id.starts_with(kAttachmentBlobPrefix) && is_blob_id(id.substr(kAttachmentBlobPrefix.size()));
}

std::string attachment_blob_id(std::string_view bytes) { return std::string(kAttachmentBlobPrefix) + content_id(bytes); }

std::string content_id(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr) != 1 || len != 32)
    throw std::runtime_error("blob store: SHA-256 failed");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(64, '0');
  for (unsigned i = 0; i < 32; ++i) {
    id[2 * i] = kHex[digest[i] >> 4];
    id[2 * i + 1] = kHex[digest[i] & 0xF];
  }
  return id;
}

}  // namespace dchat::blob
