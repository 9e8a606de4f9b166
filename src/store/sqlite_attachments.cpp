// SqliteStore: image attachments (uploaded first, linked to their message when it is sent,
// removed with it; unsent ones expire).
#include <algorithm>

#include "store/message_rows.hpp"
#include "store/sqlite_connection.hpp"
#include "store/sqlite_store.hpp"
#include "store/sqlite_transaction.hpp"

namespace dchat::store {

namespace {

#define DCHAT_ATTACHMENT_COLUMNS                                                                          \
  "id, room_id, uploader_id, blob, thumb_blob, width, height, thumb_width, thumb_height, bytes, created_at, " \
  "COALESCE(seq, 0)"

Attachment read_attachment(const SqliteQuery& q) {
  return Attachment{q.text(0),   q.int64(1), q.int64(2), q.text(3),  q.text(4),  q.int64(5),
                    q.int64(6),  q.int64(7), q.int64(8), q.int64(9), q.int64(10), q.int64(11)};
}

// Of `blobs`, those no attachment uses any more (each once).
std::vector<std::string> unused_blobs(SqliteConnection& db, std::vector<std::string> blobs) {
  std::sort(blobs.begin(), blobs.end());
  blobs.erase(std::unique(blobs.begin(), blobs.end()), blobs.end());
  std::vector<std::string> unused;
  for (const std::string& blob : blobs) {
    auto q = db.query("SELECT EXISTS (SELECT 1 FROM attachments WHERE blob = ?1) OR "
                      "EXISTS (SELECT 1 FROM attachments WHERE thumb_blob = ?1)");
    q.bind(1, blob);
    if (q.step() && q.int64(0) == 0) unused.push_back(blob);
  }
  return unused;
}

}  // namespace

bool SqliteStore::create_attachment(const Attachment& a, size_t max_unsent) {
  // One statement counts and inserts: SQLite runs one writer at a time, so no other upload
  // (of any process on this database) can slip in between.
  auto q = db_->query(
      "INSERT INTO attachments (id, room_id, uploader_id, blob, thumb_blob, width, height, thumb_width, thumb_height, "
      "bytes, created_at) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11 "
      "WHERE (SELECT count(*) FROM attachments WHERE uploader_id = ?3 AND seq IS NULL) < ?12");
  q.bind(1, a.id).bind(2, a.room_id).bind(3, a.uploader_id).bind(4, a.blob).bind(5, a.thumb_blob);
  q.bind(6, a.width).bind(7, a.height).bind(8, a.thumb_width).bind(9, a.thumb_height).bind(10, a.bytes);
  q.bind(11, a.created_at).bind(12, static_cast<int64_t>(std::min<size_t>(max_unsent, INT64_MAX))).run();
  return db_->changes() == 1;
}

std::optional<Attachment> SqliteStore::find_attachment(const std::string& id) {
  auto q = db_->query("SELECT " DCHAT_ATTACHMENT_COLUMNS " FROM attachments WHERE id = ?1");
  q.bind(1, id);
  if (!q.step()) return std::nullopt;
  return read_attachment(q);
}

size_t SqliteStore::count_unsent_attachments(int64_t uploader_id) {
  auto q = db_->query("SELECT count(*) FROM attachments WHERE uploader_id = ?1 AND seq IS NULL");
  q.bind(1, uploader_id);
  return q.step() ? static_cast<size_t>(q.int64(0)) : 0;
}

std::optional<AppendOutcome::Status> SqliteStore::check_attachments(const AppendRequest& request) {
  for (const std::string& id : request.attachments) {
    // An unsent one past its TTL is as good as swept: unknown.
    auto q = db_->query(
        "SELECT room_id, uploader_id, seq IS NOT NULL FROM attachments WHERE id = ?1 AND "
        "(seq IS NOT NULL OR created_at >= ?2)");
    q.bind(1, id).bind(2, request.attachments_since);
    if (!q.step() || q.int64(1) != request.author_id) return AppendOutcome::Status::no_attachment;
    if (q.int64(0) != request.room_id || q.int64(2) != 0) return AppendOutcome::Status::attachment_unusable;
  }
  return std::nullopt;
}

std::vector<MessageAttachment> SqliteStore::link_attachments(int64_t room_id, int64_t seq,
                                                             const std::vector<std::string>& ids) {
  std::vector<MessageAttachment> shown;
  for (const std::string& id : ids) {
    auto link = db_->query("UPDATE attachments SET seq = ?2 WHERE id = ?1 AND seq IS NULL");
    link.bind(1, id).bind(2, seq).run();
    if (db_->changes() != 1) throw StoreError(StoreError::Kind::conflict, "an attachment was sent meanwhile");
    auto a = find_attachment(id);
    if (!a) throw StoreError(StoreError::Kind::unavailable, "an attachment cannot be read back");
    shown.push_back(a->view());
  }
  auto q = db_->query("UPDATE messages SET attachments = ?3 WHERE room_id = ?1 AND seq = ?2");
  q.bind(1, room_id).bind(2, seq).bind(3, attachments_text(shown)).run();
  return shown;
}

std::vector<std::string> SqliteStore::remove_message_attachments(int64_t room_id, int64_t seq) {
  SqliteTransaction tx(*db_);
  std::vector<std::string> blobs;
  {
    auto q = db_->query("SELECT blob, thumb_blob FROM attachments WHERE room_id = ?1 AND seq = ?2");
    q.bind(1, room_id).bind(2, seq);
    while (q.step()) {
      blobs.push_back(q.text(0));
      blobs.push_back(q.text(1));
    }
  }
  if (blobs.empty()) return {};
  {
    auto q = db_->query("DELETE FROM attachments WHERE room_id = ?1 AND seq = ?2");
    q.bind(1, room_id).bind(2, seq).run();
  }
  {
    auto q = db_->query("UPDATE messages SET attachments = '' WHERE room_id = ?1 AND seq = ?2");
    q.bind(1, room_id).bind(2, seq).run();
  }
  auto unused = unused_blobs(*db_, std::move(blobs));
  tx.commit();
  return unused;
}

std::vector<std::string> SqliteStore::remove_expired_attachments(int64_t created_before, int limit) {
  if (limit <= 0) return {};
  SqliteTransaction tx(*db_);
  std::vector<std::string> ids;
  std::vector<std::string> blobs;
  {
    auto q = db_->query(
        "SELECT id, blob, thumb_blob FROM attachments WHERE seq IS NULL AND created_at < ?1 ORDER BY created_at LIMIT ?2");
    q.bind(1, created_before).bind(2, int64_t{limit});
    while (q.step()) {
      ids.push_back(q.text(0));
      blobs.push_back(q.text(1));
      blobs.push_back(q.text(2));
    }
  }
  for (const std::string& id : ids) {
    auto q = db_->query("DELETE FROM attachments WHERE id = ?1 AND seq IS NULL");
    q.bind(1, id).run();
  }
  auto unused = unused_blobs(*db_, std::move(blobs));
  tx.commit();
  return unused;
}

std::optional<std::vector<std::string>> SqliteStore::remove_unsent_attachment(const std::string& id,
                                                                              int64_t uploader_id) {
  SqliteTransaction tx(*db_);
  std::vector<std::string> blobs;
  {
    auto q = db_->query("SELECT blob, thumb_blob FROM attachments WHERE id = ?1 AND uploader_id = ?2 AND seq IS NULL");
    q.bind(1, id).bind(2, uploader_id);
    if (!q.step()) return std::nullopt;
    blobs.push_back(q.text(0));
    blobs.push_back(q.text(1));
  }
  auto q = db_->query("DELETE FROM attachments WHERE id = ?1 AND uploader_id = ?2 AND seq IS NULL");
  q.bind(1, id).bind(2, uploader_id).run();
  auto unused = unused_blobs(*db_, std::move(blobs));
  tx.commit();
  return unused;
}

bool SqliteStore::attachment_blob_used(const std::string& blob) { return unused_blobs(*db_, {blob}).empty(); }

}  // namespace dchat::store
