// PgStore: reading messages (with their quotes and reactions) and changing stored ones (edits,
// deletes, reactions, each numbered by the room's change counter), read positions, and the
// group's room locks.
#include <algorithm>
#include <limits>

#include "store/pg_connection.hpp"
#include "store/pg_rows.hpp"
#include "store/pg_store.hpp"
#include "store/pg_transaction.hpp"

namespace dchat::store {

using namespace pg_rows;

void PgStore::lock_rooms(const std::vector<int64_t>& ids) {
  if (ids.empty()) return;
  // count(*) reads the locking subquery to its end: every row is locked, in id order, before
  // this returns. FOR NO KEY UPDATE is what an UPDATE of last_seq or last_change takes: it
  // serialises the room's writers, not the foreign-key checks of new members or reactions.
  db_->query("SELECT count(*) FROM (SELECT id FROM rooms WHERE id = ANY($1::text::bigint[]) ORDER BY id FOR NO KEY UPDATE) locked",
             {pg_bigint_array(ids)});
}

std::vector<Message> PgStore::with_reactions(std::vector<Message> messages) {
  // One query per room (a page is one room; search results may span several). = ANY(array):
  // the planner knows its size; a set-returning function would be planned as 100 rows (see
  // pg_append_batch.cpp) and could hash a whole room's reactions. The array travels as text
  // ($2::text): parameters go in binary format, and the text of a bigint[] is what we have.
  for (const int64_t room : rooms_in(messages)) {
    const PgResult r = db_->query(DCHAT_REACTION_ROWS_SQL("$1", "= ANY($2::text::bigint[])"),
                                  {room, pg_bigint_array(seqs_in(messages, room))});
    std::vector<ReactionRow> rows;
    rows.reserve(static_cast<size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i)
      rows.push_back(ReactionRow{r.int64(i, 0), r.text(i, 1), r.int64(i, 2), r.int64(i, 3), r.text(i, 4)});
    attach_reactions(messages, room, rows);
  }
  return messages;
}

std::vector<Message> PgStore::messages_before(int64_t room_id, int64_t before_seq, int limit) {
  if (limit <= 0) return {};
  const int64_t bound = before_seq <= 0 ? std::numeric_limits<int64_t>::max() : before_seq;
  std::vector<Message> messages = read_messages(db_->query(
      DCHAT_MESSAGE_SELECT "WHERE m.room_id = $1 AND m.seq < $2 ORDER BY m.seq DESC LIMIT $3",
      {room_id, bound, int64_t{limit}}));
  std::reverse(messages.begin(), messages.end());
  return with_reactions(std::move(messages));
}

std::vector<Message> PgStore::messages_after(int64_t room_id, int64_t after_seq, int limit) {
  if (limit <= 0) return {};
  return with_reactions(read_messages(db_->query(
      DCHAT_MESSAGE_SELECT "WHERE m.room_id = $1 AND m.seq > $2 ORDER BY m.seq ASC LIMIT $3",
      {room_id, after_seq, int64_t{limit}})));
}

std::optional<Message> PgStore::find_message(int64_t room_id, int64_t seq) {
  auto found = with_reactions(read_messages(db_->query(DCHAT_MESSAGE_SELECT "WHERE m.room_id = $1 AND m.seq = $2",
                                                       {room_id, seq})));
  if (found.empty()) return std::nullopt;
  return std::move(found.front());
}

std::vector<Message> PgStore::messages_changed_after(int64_t room_id, int64_t after_change, int limit) {
  if (limit <= 0) return {};
  // The literal "change_seq > 0" lets the planner use the partial index messages_by_change.
  return with_reactions(read_messages(db_->query(
      DCHAT_MESSAGE_SELECT "WHERE m.room_id = $1 AND m.change_seq > $2 AND m.change_seq > 0 ORDER BY m.change_seq LIMIT $3",
      {room_id, after_change, int64_t{limit}})));
}

int64_t PgStore::next_change(int64_t room_id, int64_t seq) {
  // The room's row stays locked until the transaction ends (the group's, on the writer, which
  // locked it first: lock_rooms), so change numbers are given out one at a time and gap-free.
  const PgResult bumped =
      db_->query("UPDATE rooms SET last_change = last_change + 1 WHERE id = $1 RETURNING last_change", {room_id});
  if (bumped.empty()) throw StoreError(StoreError::Kind::not_found, "no room " + std::to_string(room_id));
  const int64_t change = bumped.int64(0, 0);
  const PgResult r = db_->query("UPDATE messages SET change_seq = $3 WHERE room_id = $1 AND seq = $2",
                                {room_id, seq, change});
  if (r.affected() == 0) throw StoreError(StoreError::Kind::not_found, "no such message");
  return change;
}

int64_t PgStore::edit_message(int64_t room_id, int64_t seq, const std::string& text, int64_t at) {
  PgTransaction tx(*db_);
  const int64_t change = next_change(room_id, seq);
  db_->query("UPDATE messages SET text = $3, edited_at = $4 WHERE room_id = $1 AND seq = $2", {room_id, seq, text, at});
  tx.commit();
  return change;
}

int64_t PgStore::delete_message(int64_t room_id, int64_t seq, int64_t at) {
  PgTransaction tx(*db_);
  const int64_t change = next_change(room_id, seq);
  db_->query("UPDATE messages SET text = '', mentions = '', attachments = '', deleted_at = $3 "
             "WHERE room_id = $1 AND seq = $2",
             {room_id, seq, at});
  db_->query("DELETE FROM reactions WHERE room_id = $1 AND seq = $2", {room_id, seq});
  db_->query("DELETE FROM mentions WHERE room_id = $1 AND seq = $2", {room_id, seq});
  tx.commit();
  return change;
}

int64_t PgStore::set_reaction(int64_t room_id, int64_t seq, int64_t user_id, const std::string& emoji, bool on,
                              int64_t at) {
  PgTransaction tx(*db_);
  if (db_->query("SELECT 1 FROM messages WHERE room_id = $1 AND seq = $2", {room_id, seq}).empty())
    throw StoreError(StoreError::Kind::not_found, "no such message");
  const PgResult r =
      on ? db_->query(
               "INSERT INTO reactions (room_id, seq, emoji, user_id, created_at) VALUES ($1, $2, $3, $4, $5) "
               "ON CONFLICT DO NOTHING",
               {room_id, seq, emoji, user_id, at})
         : db_->query("DELETE FROM reactions WHERE room_id = $1 AND seq = $2 AND emoji = $3 AND user_id = $4",
                      {room_id, seq, emoji, user_id});
  if (r.affected() == 0) return 0;
  const int64_t change = next_change(room_id, seq);
  tx.commit();
  return change;
}

int64_t PgStore::mark_read(int64_t room_id, int64_t user_id, int64_t seq) {
  const PgResult r = db_->query(
      "UPDATE room_members SET read_seq = GREATEST(read_seq, LEAST($3, (SELECT last_seq FROM rooms WHERE id = $1))) "
      "WHERE room_id = $1 AND user_id = $2 RETURNING read_seq",
      {room_id, user_id, seq});
  return r.empty() ? 0 : r.int64(0, 0);
}

std::optional<int64_t> PgStore::read_position(int64_t room_id, int64_t user_id) {
  const PgResult r =
      db_->query("SELECT read_seq FROM room_members WHERE room_id = $1 AND user_id = $2", {room_id, user_id});
  if (r.empty()) return std::nullopt;
  return r.int64(0, 0);
}

}  // namespace dchat::store
