// PgStore: mentions (who a message names, who is to be told) and @-completion's members; the
// same rules as SqliteStore's (sqlite_mentions.cpp).
#include <algorithm>

#include "store/pg_connection.hpp"
#include "store/pg_result.hpp"
#include "store/pg_rows.hpp"
#include "store/pg_store.hpp"
#include "store/pg_transaction.hpp"

namespace dchat::store {

using namespace pg_rows;

Mentions PgStore::set_mentions(int64_t room_id, int64_t seq, int64_t author_id, const MentionRequest& request) {
  return write_mentions(room_id, seq, author_id, request, false);
}

// A few round trips, whatever the message names (it runs under the room's lock): who of the
// names are members, and whether @room applies (counted only up to one past the limit, in the
// same statement); the rows; the message's column. `fresh`: a message just stored, which has no
// rows to replace.
Mentions PgStore::write_mentions(int64_t room_id, int64_t seq, int64_t author_id, const MentionRequest& request,
                                 bool fresh) {
  PgTransaction tx(*db_);
  Mentions mentions;
  {
    const PgResult r = db_->query(
        "SELECT (SELECT COALESCE(string_agg(u.id::text, ',' ORDER BY u.id), '') FROM users u "
        "JOIN room_members m ON m.room_id = $1 AND m.user_id = u.id "
        "WHERE u.name_key = ANY($2::text::text[]) AND u.id <> $3), "
        "$4::text::boolean AND (SELECT count(*) FROM (SELECT 1 FROM room_members WHERE room_id = $1 LIMIT $5) c) < $5",
        {room_id, pg_text_array(request.name_keys), author_id, request.room ? "true" : "false",
         static_cast<int64_t>(request.room_limit) + 1});
    mentions = mentions_from_text(r.text(0, 0));
    mentions.room = r.text(0, 1) == "t";
  }
  if (!fresh) db_->query("DELETE FROM mentions WHERE room_id = $1 AND seq = $2", {room_id, seq});
  if (mentions.room) {
    db_->query(
        "INSERT INTO mentions (user_id, room_id, seq) SELECT user_id, $1, $2 FROM room_members "
        "WHERE room_id = $1 AND user_id <> $3",
        {room_id, seq, author_id});
  } else if (!mentions.users.empty()) {
    db_->query("INSERT INTO mentions (user_id, room_id, seq) SELECT unnest($3::text::bigint[]), $1, $2",
               {room_id, seq, pg_bigint_array(mentions.users)});
  }
  const PgResult r = db_->query("UPDATE messages SET mentions = $3 WHERE room_id = $1 AND seq = $2",
                                {room_id, seq, mentions_text(mentions)});
  if (r.affected() == 0) throw StoreError(StoreError::Kind::not_found, "no such message");
  tx.commit();
  return mentions;
}

int64_t PgStore::unread_mentions(int64_t room_id, int64_t user_id) {
  const PgResult r = db_->query(
      "SELECT " DCHAT_UNREAD_MENTIONS_SQL " FROM room_members m WHERE m.room_id = $1 AND m.user_id = $2",
      {room_id, user_id});
  return r.empty() ? 0 : r.int64(0, 0);
}

std::vector<User> PgStore::members_named(int64_t room_id, const std::string& key_prefix, int limit) {
  if (limit <= 0) return {};
  // A range of users_by_name_key_c (byte order, as SQLite's; U+10FFFF sorts after every
  // character), each user checked against the room's members: a prefix in a room of 100,000
  // reads the users it matches, not the room.
  const PgResult r = db_->query(
      "SELECT " DCHAT_USER_COLUMNS
      " FROM users u JOIN room_members m ON m.room_id = $1 AND m.user_id = u.id "
      "WHERE u.name_key COLLATE \"C\" >= $2 AND u.name_key COLLATE \"C\" < $2 || chr(1114111) "
      "ORDER BY u.name_key COLLATE \"C\" LIMIT $3",
      {room_id, key_prefix, int64_t{limit}});
  std::vector<User> users;
  for (int i = 0; i < r.rows(); ++i) users.push_back(read_user(r, i));
  return users;
}

}  // namespace dchat::store
