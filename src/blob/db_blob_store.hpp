#pragma once
// BlobStore in the database (the blobs table of the Store: SQLite or PostgreSQL), for replicas
// that share a database but no UPLOAD_DIR volume. Same ids as FsBlobStore (content_id: hex
// SHA-256), so a blob keeps its id whichever store holds it.
//
// Blocking, called on worker threads, possibly several at once: each call borrows a Store
// connection from a small mutex-protected pool (opening a new one when none is idle), and gives
// it back afterwards, keeping at most `max_idle` idle connections. A connection whose call failed
// with StoreError(unavailable) is not kept. Every connection it opens is migrated once (migrate()
// is idempotent and safe to run concurrently), so the blobs table exists whoever started first.
//
// Errors: put and failures of get/remove throw StoreError (a std::runtime_error, as BlobStore
// promises); malformed ids give nullopt / false without touching the database.
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "blob/blob_store.hpp"
#include "store/store.hpp"

namespace dchat::blob {

class DbBlobStore final : public BlobStore {
 public:
  using StoreFactory = std::function<std::unique_ptr<store::Store>()>;

  // `factory` opens a new Store connection each call (see store/store_factory.hpp). Nothing is
  // opened until the first call.
  explicit DbBlobStore(StoreFactory factory, size_t max_idle = 4);
  ~DbBlobStore() override;
  DbBlobStore(const DbBlobStore&) = delete;
  DbBlobStore& operator=(const DbBlobStore&) = delete;

  std::string put(std::string_view bytes) override;
  std::string put_attachment(std::string_view bytes) override;
  std::optional<std::string> get(const std::string& id) override;
  bool remove(const std::string& id) override;

  // Idle connections in the pool right now (tests).
  size_t idle_connections() const;

 private:
  class Lease;
  std::unique_ptr<store::Store> acquire();
  void release(std::unique_ptr<store::Store> store);

  StoreFactory factory_;
  size_t max_idle_;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<store::Store>> idle_;
};

}  // namespace dchat::blob
