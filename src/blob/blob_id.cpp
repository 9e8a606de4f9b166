#include "blob/blob_store.hpp"

namespace dchat::blob {

bool is_blob_id(std::string_view id) {
  // Exactly the shape put() produces, so an id is always safe as a file name and in a URL:
  // no separators, no dots, no upper case (which would alias on case-insensitive volumes).
  if (id.size() != 64) return false;
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace dchat::blob
