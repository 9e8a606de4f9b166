// SqliteStore: reading messages (with their quotes and reactions) and changing stored ones
// (edits, deletes, reactions, each numbered by the room's change counter), and read positions.
#include <algorithm>
#include <limits>

#include "store/sqlite_connection.hpp"
#include "store/sqlite_rows.hpp"
#include "store/sqlite_store.hpp"
#include "store/sqlite_transaction.hpp"

namespace dchat::store {

using namespace sqlite_rows;

std::vector<Message> SqliteStore::with_reactions(std::vector<Message> messages) {
  // One query per room (a page is one room; search results may span several).
  for (const int64_t room : rooms_in(messages)) {
    auto q = db_->query(DCHAT_REACTION_ROWS_SQL("?1", "IN (SELECT value FROM json_each(?2))"));
    q.bind(1, room).bind(2, json_array(seqs_in(messages, room)));
    std::vector<ReactionRow> rows;
    while (q.step()) rows.push_back(ReactionRow{q.int64(0), q.text(1), q.int64(2), q.int64(3), q.text(4)});
    attach_reactions(messages, room, rows);
  }
  return messages;
}

std::vector<Message> SqliteStore::messages_before(int64_t room_id, int64_t before_seq, int limit) {
  if (limit <= 0) return {};
  const int64_t bound = before_seq <= 0 ? std::numeric_limits<int64_t>::max() : before_seq;
  // The newest `limit` below the bound, walking the (room_id, seq) index backwards, then put
  // oldest first.
  auto q = db_->query(DCHAT_MESSAGE_SELECT "WHERE m.room_id = ?1 AND m.seq < ?2 ORDER BY m.seq DESC LIMIT ?3");
  q.bind(1, room_id).bind(2, bound).bind(3, int64_t{limit});
  std::vector<Message> messages;
  while (q.step()) messages.push_back(read_message(q));
  std::reverse(messages.begin(), messages.end());
  return with_reactions(std::move(messages));
}

std::vector<Message> SqliteStore::messages_after(int64_t room_id, int64_t after_seq, int limit) {
  if (limit <= 0) return {};
  auto q = db_->query(DCHAT_MESSAGE_SELECT "WHERE m.room_id = ?1 AND m.seq > ?2 ORDER BY m.seq ASC LIMIT ?3");
  q.bind(1, room_id).bind(2, after_seq).bind(3, int64_t{limit});
  std::vector<Message> messages;
  while (q.step()) messages.push_back(read_message(q));
  return with_reactions(std::move(messages));
}

std::optional<Message> SqliteStore::find_message(int64_t room_id, int64_t seq) {
  std::vector<Message> one;
  {
    auto q = db_->query(DCHAT_MESSAGE_SELECT "WHERE m.room_id = ?1 AND m.seq = ?2");
    q.bind(1, room_id).bind(2, seq);
    if (!q.step()) return std::nullopt;
    one.push_back(read_message(q));
  }
  return std::move(with_reactions(std::move(one)).front());
}

std::vector<Message> SqliteStore::messages_changed_after(int64_t room_id, int64_t after_change, int limit) {
  if (limit <= 0) return {};
  // The partial index messages_by_change (room_id, change_seq) WHERE change_seq > 0: the literal
  // term lets SQLite use it.
  auto q = db_->query(DCHAT_MESSAGE_SELECT
                      "WHERE m.room_id = ?1 AND m.change_seq > ?2 AND m.change_seq > 0 ORDER BY m.change_seq LIMIT ?3");
  q.bind(1, room_id).bind(2, after_change).bind(3, int64_t{limit});
  std::vector<Message> messages;
  while (q.step()) messages.push_back(read_message(q));
  return with_reactions(std::move(messages));
}

int64_t SqliteStore::next_change(int64_t room_id, int64_t seq) {
  int64_t change = 0;
  {
    // No RETURNING: SQLite builds an ephemeral table for it; a read after the write is cheaper.
    auto bump = db_->query("UPDATE rooms SET last_change = last_change + 1 WHERE id = ?1");
    bump.bind(1, room_id).run();
    auto read = db_->query("SELECT last_change FROM rooms WHERE id = ?1");
    read.bind(1, room_id);
    if (!read.step()) throw StoreError(StoreError::Kind::not_found, "no room " + std::to_string(room_id));
    change = read.int64(0);
  }
  auto q = db_->query("UPDATE messages SET change_seq = ?3 WHERE room_id = ?1 AND seq = ?2");
  q.bind(1, room_id).bind(2, seq).bind(3, change).run();
  if (db_->changes() == 0) throw StoreError(StoreError::Kind::not_found, "no such message");
  return change;
}

int64_t SqliteStore::edit_message(int64_t room_id, int64_t seq, const std::string& text, int64_t at) {
  SqliteTransaction tx(*db_);
  const int64_t change = next_change(room_id, seq);
  auto q = db_->query("UPDATE messages SET text = ?3, edited_at = ?4 WHERE room_id = ?1 AND seq = ?2");
  q.bind(1, room_id).bind(2, seq).bind(3, text).bind(4, at).run();
  tx.commit();
  return change;
}

int64_t SqliteStore::delete_message(int64_t room_id, int64_t seq, int64_t at) {
  SqliteTransaction tx(*db_);
  const int64_t change = next_change(room_id, seq);
  auto q = db_->query("UPDATE messages SET text = '', mentions = '', attachments = '', deleted_at = ?3 WHERE room_id = ?1 AND seq = ?2");
  q.bind(1, room_id).bind(2, seq).bind(3, at).run();
  auto reactions = db_->query("DELETE FROM reactions WHERE room_id = ?1 AND seq = ?2");
  reactions.bind(1, room_id).bind(2, seq).run();
  auto mentions = db_->query("DELETE FROM mentions WHERE room_id = ?1 AND seq = ?2");
  mentions.bind(1, room_id).bind(2, seq).run();
  tx.commit();
  return change;
}

int64_t SqliteStore::set_reaction(int64_t room_id, int64_t seq, int64_t user_id, const std::string& emoji, bool on,
                                  int64_t at) {
  SqliteTransaction tx(*db_);
  {
    auto exists = db_->query("SELECT 1 FROM messages WHERE room_id = ?1 AND seq = ?2");
    exists.bind(1, room_id).bind(2, seq);
    if (!exists.step()) throw StoreError(StoreError::Kind::not_found, "no such message");
  }
  if (on) {
    auto q = db_->query(
        "INSERT INTO reactions (room_id, seq, emoji, user_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5) "
        "ON CONFLICT DO NOTHING");
    q.bind(1, room_id).bind(2, seq).bind(3, emoji).bind(4, user_id).bind(5, at).run();
  } else {
    auto q = db_->query("DELETE FROM reactions WHERE room_id = ?1 AND seq = ?2 AND emoji = ?3 AND user_id = ?4");
    q.bind(1, room_id).bind(2, seq).bind(3, emoji).bind(4, user_id).run();
  }
  if (db_->changes() == 0) return 0;
  const int64_t change = next_change(room_id, seq);
  tx.commit();
  return change;
}

int64_t SqliteStore::mark_read(int64_t room_id, int64_t user_id, int64_t seq) {
  auto q = db_->query(
      "UPDATE room_members SET read_seq = max(read_seq, min(?3, (SELECT last_seq FROM rooms WHERE id = ?1))) "
      "WHERE room_id = ?1 AND user_id = ?2");
  q.bind(1, room_id).bind(2, user_id).bind(3, seq).run();
  auto read = db_->query("SELECT read_seq FROM room_members WHERE room_id = ?1 AND user_id = ?2");
  read.bind(1, room_id).bind(2, user_id);
  return read.step() ? read.int64(0) : 0;
}

std::optional<int64_t> SqliteStore::read_position(int64_t room_id, int64_t user_id) {
  auto q = db_->query("SELECT read_seq FROM room_members WHERE room_id = ?1 AND user_id = ?2");
  q.bind(1, room_id).bind(2, user_id);
  if (!q.step()) return std::nullopt;
  return q.int64(0);
}

}  // namespace dchat::store
