#include "chat/attachment_blobs.hpp"

#include <spdlog/spdlog.h>

#include "core/log_throttle.hpp"

namespace dchat::chat {

size_t remove_unused_attachment_blobs(store::Store& store, blob::BlobStore& blobs, const std::vector<std::string>& ids) {
  size_t removed = 0;
  for (const auto& id : ids) {
    try {
      if (store.attachment_blob_used(id)) continue;
      auto bytes = blobs.get(id);
      if (!bytes) continue;
      if (!blobs.remove(id)) continue;
      if (store.attachment_blob_used(id)) {
        blobs.put_attachment(*bytes);
        continue;
      }
      ++removed;
    } catch (const std::exception& e) {
      CHAT_LOG_THROTTLED(spdlog::level::warn, "attachments: cannot remove blob {}: {}", id, e.what());
    }
  }
  return removed;
}

}  // namespace dchat::chat
