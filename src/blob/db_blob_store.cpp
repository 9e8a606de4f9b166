#include "blob/db_blob_store.hpp"

#include <utility>

namespace dchat::blob {

// One borrowed connection for the length of a call: handed back on success and on ordinary
// errors, dropped when the connection itself failed (unavailable).
class DbBlobStore::Lease {
 public:
  explicit Lease(DbBlobStore& owner) : owner_(owner), store_(owner.acquire()) {}
  ~Lease() {
    if (store_) owner_.release(std::move(store_));
  }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;

  template <class Call>
  auto run(Call&& call) {
    try {
      return call(*store_);
    } catch (const store::StoreError& e) {
      if (e.kind == store::StoreError::Kind::unavailable) store_.reset();
      throw;
    }
  }

 private:
  DbBlobStore& owner_;
  std::unique_ptr<store::Store> store_;
};

DbBlobStore::DbBlobStore(StoreFactory factory, size_t max_idle) : factory_(std::move(factory)), max_idle_(max_idle) {}

DbBlobStore::~DbBlobStore() = default;

std::unique_ptr<store::Store> DbBlobStore::acquire() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      std::unique_ptr<store::Store> store = std::move(idle_.back());
      idle_.pop_back();
      return store;
    }
  }
  // Connecting and migrating happen outside the lock: other threads keep using idle
  // connections meanwhile.
  std::unique_ptr<store::Store> store = factory_();
  store->migrate();
  return store;
}

void DbBlobStore::release(std::unique_ptr<store::Store> store) {
  std::lock_guard lock(mutex_);
  if (idle_.size() < max_idle_) idle_.push_back(std::move(store));
  // Otherwise it is closed here (a burst is over; keep only max_idle).
}

size_t DbBlobStore::idle_connections() const {
  std::lock_guard lock(mutex_);
  return idle_.size();
}

std::string DbBlobStore::put(std::string_view bytes) {
  std::string id = content_id(bytes);
  Lease(*this).run([&](store::Store& s) { s.put_blob(id, bytes); });
  return id;
}

std::string DbBlobStore::put_attachment(std::string_view bytes) {
  std::string id = attachment_blob_id(bytes);
  Lease(*this).run([&](store::Store& s) { s.put_blob(id, bytes); });
  return id;
}

std::optional<std::string> DbBlobStore::get(const std::string& id) {
  if (!is_any_blob_id(id)) return std::nullopt;
  return Lease(*this).run([&](store::Store& s) { return s.get_blob(id); });
}

bool DbBlobStore::remove(const std::string& id) {
  if (!is_any_blob_id(id)) return false;
  return Lease(*this).run([&](store::Store& s) { return s.delete_blob(id); });
}

}  // namespace dchat::blob
