#pragma once
// Where uploaded files (avatars) live: a directory (UPLOAD_DIR, possibly a shared volume) or the
// database. Content-addressed: the id is the lower-case hex SHA-256 of the bytes, so storing the
// same bytes twice stores them once and ids are safe to use in paths and URLs.
// Implementations are blocking and are called on worker threads only.
#include <optional>
#include <string>
#include <string_view>

namespace dchat::blob {

class BlobStore {
 public:
  virtual ~BlobStore() = default;
  // Stores the bytes and returns their id. Throws std::runtime_error when storage fails.
  virtual std::string put(std::string_view bytes) = 0;
  // The same for an image attached to a message: its id is attachment_blob_id(bytes), which the
  // public /avatars/ route never serves (it takes is_blob_id names only), so attachments are
  // reachable through their authorised route alone.
  virtual std::string put_attachment(std::string_view bytes) = 0;
  // The bytes of `id`, or nullopt when there is no such blob (or the id is malformed).
  virtual std::optional<std::string> get(const std::string& id) = 0;
  // Returns whether something was removed.
  virtual bool remove(const std::string& id) = 0;
};

// True when `id` has the shape of a blob id (64 lower-case hex digits): an avatar's.
bool is_blob_id(std::string_view id);

// Attachment blobs: kAttachmentBlobPrefix + 64 lower-case hex digits (the content hash).
inline constexpr std::string_view kAttachmentBlobPrefix = "att-";
bool is_attachment_blob_id(std::string_view id);
std::string attachment_blob_id(std::string_view bytes);
// Either shape: what get() and remove() accept.
inline bool is_any_blob_id(std::string_view id) { return is_blob_id(id) || is_attachment_blob_id(id); }

// The blob id of `bytes`: lower-case hex SHA-256 (OpenSSL). Every implementation uses it, so a
// blob has the same id whichever store holds it. Throws std::runtime_error if hashing fails.
std::string content_id(std::string_view bytes);

}  // namespace dchat::blob
