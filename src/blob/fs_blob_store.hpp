#pragma once
// BlobStore on a directory (UPLOAD_DIR, possibly a volume shared by several replicas).
//
// A blob lives in <dir>/<first 2 hex digits>/<other 62 digits>: 256 fan-out directories keep any
// one directory small. Writes go to a temporary file in the same fan-out directory, are fsynced,
// then renamed over the final name, so readers (in this process or another replica) see either no
// file or the whole file, never a partial one; two writers of the same bytes race harmlessly
// because they rename identical content onto the same name.
//
// Blocking file I/O: call it from worker threads only. Safe to use from several threads at once
// (it keeps no mutable state).
#include <optional>
#include <string>
#include <string_view>

#include "blob/blob_store.hpp"

namespace dchat::blob {

class FsBlobStore : public BlobStore {
 public:
  // Creates `dir` (and its parents) when missing. Throws std::runtime_error when it cannot.
  explicit FsBlobStore(std::string dir);

  std::string put(std::string_view bytes) override;
  std::string put_attachment(std::string_view bytes) override;
  std::optional<std::string> get(const std::string& id) override;
  bool remove(const std::string& id) override;

  const std::string& dir() const noexcept { return dir_; }
  // Where the blob `id` is (or would be) stored. `id` must satisfy is_any_blob_id: attachment
  // blobs live under <dir>/att/, with the same two-level fan-out.
  std::string path_of(std::string_view id) const;

 private:
  std::string store_as(std::string id, std::string_view bytes);
  // The fan-out directory of `id` (created on demand).
  std::string subdir_of(std::string_view id) const;

  std::string dir_;
};

// content_id(bytes), the id put() returns, is declared in blob_store.hpp.

}  // namespace dchat::blob
