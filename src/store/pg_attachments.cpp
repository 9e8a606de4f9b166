// PgStore: image attachments (uploaded first, linked to their message when it is sent, removed
// with it; unsent ones expire). As sqlite_attachments.cpp.
#include <algorithm>

#include "store/message_rows.hpp"
#include "store/pg_connection.hpp"
#include "store/pg_result.hpp"
#include "store/pg_store.hpp"
#include "store/pg_transaction.hpp"

namespace dchat::store {

namespace {

#define DCHAT_ATTACHMENT_COLUMNS                                                                          \
  "id, room_id, uploader_id, blob, thumb_blob, width, height, thumb_width, thumb_height, bytes, created_at, " \
  "COALESCE(seq, 0)"

Attachment read_attachment(const PgResult& r, int row) {
  return Attachment{r.text(row, 0),  r.int64(row, 1), r.int64(row, 2), r.text(row, 3),  r.text(row, 4),
                    r.int64(row, 5), r.int64(row, 6), r.int64(row, 7), r.int64(row, 8), r.int64(row, 9),
                    r.int64(row, 10), r.int64(row, 11)};
}

// Of `blobs`, those no attachment uses any more (each once).
std::vector<std::string> unused_blobs(PgConnection& db, std::vector<std::string> blobs) {
  std::sort(blobs.begin(), blobs.end());
  blobs.erase(std::unique(blobs.begin(), blobs.end()), blobs.end());
  std::vector<std::string> unused;
  for (const std::string& blob : blobs) {
    const PgResult r = db.query(
        "SELECT EXISTS (SELECT 1 FROM attachments WHERE blob = $1) OR "
        "EXISTS (SELECT 1 FROM attachments WHERE thumb_blob = $1)",
        {blob});
    if (r.text(0, 0) != "t") unused.push_back(blob);
  }
  return unused;
}

}  // namespace

bool PgStore::create_attachment(const Attachment& a, size_t max_unsent) {
  PgTransaction tx(*db_);
  // Two uploads of one user on two replicas would both count before either inserted: the
  // uploader's row lock makes them take turns, and the count (a new statement, so a new
  // snapshot under READ COMMITTED) sees the other's row once it is committed.
  db_->query("SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE", {a.uploader_id});
  const PgResult r = db_->query(
      "INSERT INTO attachments (id, room_id, uploader_id, blob, thumb_blob, width, height, thumb_width, thumb_height, "
      "bytes, created_at) SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 "
      "WHERE (SELECT count(*) FROM attachments WHERE uploader_id = $3 AND seq IS NULL) < $12 RETURNING id",
      {a.id, a.room_id, a.uploader_id, a.blob, a.thumb_blob, a.width, a.height, a.thumb_width, a.thumb_height, a.bytes,
       a.created_at, static_cast<int64_t>(std::min<size_t>(max_unsent, INT64_MAX))});
  tx.commit();
  return !r.empty();
}

std::optional<Attachment> PgStore::find_attachment(const std::string& id) {
  const PgResult r = db_->query("SELECT " DCHAT_ATTACHMENT_COLUMNS " FROM attachments WHERE id = $1", {id});
  if (r.empty()) return std::nullopt;
  return read_attachment(r, 0);
}

size_t PgStore::count_unsent_attachments(int64_t uploader_id) {
  return static_cast<size_t>(
      db_->query("SELECT count(*) FROM attachments WHERE uploader_id = $1 AND seq IS NULL", {uploader_id}).int64(0, 0));
}

std::optional<AppendOutcome::Status> PgStore::check_attachments(const AppendRequest& request) {
  for (const std::string& id : request.attachments) {
    // FOR UPDATE: a batch on another connection that sends the same attachment waits for this
    // one, then sees it sent. Taken after the batch's room locks, as every writer does.
    // An unsent one past its TTL is as good as swept: unknown.
    const PgResult r = db_->query(
        "SELECT room_id, uploader_id, seq IS NOT NULL FROM attachments WHERE id = $1 AND "
        "(seq IS NOT NULL OR created_at >= $2) FOR UPDATE",
        {id, request.attachments_since});
    if (r.empty() || r.int64(0, 1) != request.author_id) return AppendOutcome::Status::no_attachment;
    if (r.int64(0, 0) != request.room_id || r.text(0, 2) == "t") return AppendOutcome::Status::attachment_unusable;
  }
  return std::nullopt;
}

std::vector<MessageAttachment> PgStore::link_attachments(int64_t room_id, int64_t seq,
                                                         const std::vector<std::string>& ids) {
  std::vector<MessageAttachment> shown;
  for (const std::string& id : ids) {
    const PgResult r = db_->query(
        "UPDATE attachments SET seq = $2 WHERE id = $1 AND seq IS NULL RETURNING " DCHAT_ATTACHMENT_COLUMNS, {id, seq});
    if (r.empty()) throw StoreError(StoreError::Kind::conflict, "an attachment was sent meanwhile");
    shown.push_back(read_attachment(r, 0).view());
  }
  db_->query("UPDATE messages SET attachments = $3 WHERE room_id = $1 AND seq = $2",
             {room_id, seq, attachments_text(shown)});
  return shown;
}

std::vector<std::string> PgStore::remove_message_attachments(int64_t room_id, int64_t seq) {
  PgTransaction tx(*db_);
  const PgResult r =
      db_->query("DELETE FROM attachments WHERE room_id = $1 AND seq = $2 RETURNING blob, thumb_blob", {room_id, seq});
  if (r.empty()) return {};
  std::vector<std::string> blobs;
  for (int i = 0; i < r.rows(); ++i) {
    blobs.push_back(r.text(i, 0));
    blobs.push_back(r.text(i, 1));
  }
  db_->query("UPDATE messages SET attachments = '' WHERE room_id = $1 AND seq = $2", {room_id, seq});
  auto unused = unused_blobs(*db_, std::move(blobs));
  tx.commit();
  return unused;
}

std::vector<std::string> PgStore::remove_expired_attachments(int64_t created_before, int limit) {
  if (limit <= 0) return {};
  PgTransaction tx(*db_);
  // SKIP LOCKED: an attachment being sent right now (locked by its batch) is not swept from
  // under it; it is either sent or swept next time.
  const PgResult r = db_->query(
      "DELETE FROM attachments WHERE id IN (SELECT id FROM attachments WHERE seq IS NULL AND created_at < $1 "
      "ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED) AND seq IS NULL RETURNING blob, thumb_blob",
      {created_before, int64_t{limit}});
  std::vector<std::string> blobs;
  for (int i = 0; i < r.rows(); ++i) {
    blobs.push_back(r.text(i, 0));
    blobs.push_back(r.text(i, 1));
  }
  auto unused = unused_blobs(*db_, std::move(blobs));
  tx.commit();
  return unused;
}

std::optional<std::vector<std::string>> PgStore::remove_unsent_attachment(const std::string& id, int64_t uploader_id) {
  PgTransaction tx(*db_);
  const PgResult r = db_->query(
      "DELETE FROM attachments WHERE id = $1 AND uploader_id = $2 AND seq IS NULL RETURNING blob, thumb_blob",
      {id, uploader_id});
  if (r.empty()) return std::nullopt;
  auto unused = unused_blobs(*db_, {r.text(0, 0), r.text(0, 1)});
  tx.commit();
  return unused;
}

bool PgStore::attachment_blob_used(const std::string& blob) { return unused_blobs(*db_, {blob}).empty(); }

}  // namespace dchat::store
