// SqliteStore::append_messages: message:send for a batch (Store::append_messages).
//
// One transaction for the batch (a savepoint inside a group commit), two statements per message
// (one read for membership, author name, the room's last_seq and resend; the insert) and one
// seq update per room of the batch, where append_message behind an is_member check cost about
// nine per message: its own savepoint, the job's savepoint, the membership and name reads, and
// an UPDATE ... RETURNING per message (SQLite builds an ephemeral table for every RETURNING).
// No savepoint per message is needed: the batch holds SQLite's write lock, so nothing can be
// stored between a message's checks and its insert, nor change a room's last_seq while the
// batch counts on from it; a failure takes back the whole batch.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "store/message_rows.hpp"
#include "store/sqlite_connection.hpp"
#include "store/sqlite_query.hpp"
#include "store/sqlite_store.hpp"
#include "store/sqlite_transaction.hpp"

namespace dchat::store {

namespace {

// What the author may do in the room, read in one statement.
struct AppendChecks {
  bool has_author = false;
  std::string author_name;
  bool member = false;
  bool room_exists = false;
  int64_t last_seq = 0;  // as stored: not counting this batch's messages
  bool resent = false;   // the author stored this client_id before (also earlier in this batch)
};

AppendChecks check_append(SqliteConnection& db, const AppendRequest& request) {
  // The literal "client_id <> ''" term lets SQLite use the partial unique index.
  auto q = db.query(
      "SELECT (SELECT name FROM users WHERE id = ?2), "
      "EXISTS (SELECT 1 FROM room_members WHERE room_id = ?1 AND user_id = ?2), "
      "(SELECT last_seq FROM rooms WHERE id = ?1), "
      "?3 <> '' AND EXISTS (SELECT 1 FROM messages WHERE author_id = ?2 AND client_id = ?3 AND client_id <> '')");
  q.bind(1, request.room_id).bind(2, request.author_id).bind(3, request.client_id);
  q.step();
  return AppendChecks{!q.is_null(0), q.text(0), q.int64(1) != 0, !q.is_null(2), q.int64(2), q.int64(3) != 0};
}

}  // namespace

std::vector<AppendOutcome> SqliteStore::append_messages(const std::vector<AppendRequest>& batch) {
  std::vector<AppendOutcome> outcomes;
  outcomes.reserve(batch.size());
  // (room, last seq given out in this batch): a batch touches a few rooms, a vector is enough.
  std::vector<std::pair<int64_t, int64_t>> last_seqs;
  SqliteTransaction tx(*db_);
  for (const AppendRequest& request : batch) {
    AppendOutcome& outcome = outcomes.emplace_back();
    const AppendChecks checks = check_append(*db_, request);
    // Membership first, as for every other request about a room; a resend comes second.
    if (!checks.member) {
      outcome.status = checks.room_exists ? AppendOutcome::Status::not_member : AppendOutcome::Status::no_room;
      continue;
    }
    if (checks.resent) {
      auto existing = find_message_by_client_id(request.author_id, request.client_id);
      if (!existing) throw StoreError(StoreError::Kind::unavailable, "a resent message cannot be read back");
      outcome.status = AppendOutcome::Status::duplicate;
      outcome.message = std::move(*existing);
      continue;
    }
    if (!checks.has_author) throw StoreError(StoreError::Kind::not_found, "no user " + std::to_string(request.author_id));
    // The room's next seq: counted on from its stored last_seq, or from this batch's last one.
    auto room = std::find_if(last_seqs.begin(), last_seqs.end(), [&](const auto& r) { return r.first == request.room_id; });
    if (room == last_seqs.end()) room = last_seqs.insert(last_seqs.end(), {request.room_id, checks.last_seq});
    // Seqs are gap-free and messages are never removed: 1..last_seq is every message there is.
    if (request.reply_to < 0 || request.reply_to > room->second) {
      outcome.status = AppendOutcome::Status::no_reply_target;
      continue;
    }
    // Only for sends with attachments (most have none): checked before the seq is taken.
    if (!request.attachments.empty()) {
      if (auto refused = check_attachments(request)) {
        outcome.status = *refused;
        continue;
      }
    }
    Message& message = outcome.message;
    message.room_id = request.room_id;
    message.author_id = request.author_id;
    message.author_name = checks.author_name;
    message.text = request.text;
    message.created_at = request.created_at;
    message.client_id = request.client_id;
    message.reply_to = request.reply_to;
    message.seq = ++room->second;
    auto q = db_->query(
        "INSERT INTO messages (room_id, seq, author_id, text, created_at, client_id, reply_to) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    q.bind(1, request.room_id).bind(2, message.seq).bind(3, request.author_id).bind(4, request.text);
    q.bind(5, request.created_at).bind(6, request.client_id).bind(7, request.reply_to);
    q.run();
    message.id = db_->last_insert_rowid();
    if (!request.attachments.empty()) message.attachments = link_attachments(request.room_id, message.seq, request.attachments);
    if (!request.mentions.empty()) message.mentions = set_mentions(request.room_id, message.seq, request.author_id, request.mentions);
    if (request.reply_to > 0) {
      auto original = find_message(request.room_id, request.reply_to);
      if (original) message.quote = quote_of(*original);
    }
  }
  for (const auto& [room_id, last_seq] : last_seqs) {
    auto q = db_->query("UPDATE rooms SET last_seq = ?2 WHERE id = ?1");
    q.bind(1, room_id).bind(2, last_seq);
    q.run();
  }
  tx.commit();
  return outcomes;
}

}  // namespace dchat::store
