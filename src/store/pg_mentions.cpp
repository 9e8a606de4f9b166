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
  PgTransaction tx(*db_);
  Mentions mentions;
  // One lookup per name (a message names at most a few: chat/mention_rules.hpp), members only.
  for (const std::string& key : request.name_keys) {
    const PgResult r = db_->query(
        "SELECT u.id FROM users u JOIN room_members m ON m.room_id = $1 AND m.user_id = u.id "
        "WHERE u.name_key = $2 AND u.id <> $3",
        {room_id, key, author_id});
    if (!r.empty()) mentions.users.push_back(r.int64(0, 0));
  }
  std::sort(mentions.users.begin(), mentions.users.end());
  mentions.users.erase(std::unique(mentions.users.begin(), mentions.users.end()), mentions.users.end());
  if (request.room) {
    const PgResult r = db_->query("SELECT count(*) FROM room_members WHERE room_id = $1", {room_id});
    mentions.room = static_cast<size_t>(r.int64(0, 0)) <= request.room_limit;
  }
  db_->query("DELETE FROM mentions WHERE room_id = $1 AND seq = $2", {room_id, seq});
  if (mentions.room) {
    db_->query(
        "INSERT INTO mentions (user_id, room_id, seq) SELECT user_id, $1, $2 FROM room_members "
        "WHERE room_id = $1 AND user_id <> $3",
        {room_id, seq, author_id});
  } else {
    for (int64_t user : mentions.users)
      db_->query("INSERT INTO mentions (user_id, room_id, seq) VALUES ($1, $2, $3)", {user, room_id, seq});
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
  // left() and length() count characters, as name_key's prefix was cut by characters.
  const PgResult r = db_->query("SELECT " DCHAT_USER_COLUMNS
                                " FROM room_members m JOIN users u ON u.id = m.user_id "
                                "WHERE m.room_id = $1 AND left(u.name_key, length($2)) = $2 ORDER BY u.name_key COLLATE \"C\" LIMIT $3",
                                {room_id, key_prefix, int64_t{limit}});
  std::vector<User> users;
  for (int i = 0; i < r.rows(); ++i) users.push_back(read_user(r, i));
  return users;
}

}  // namespace dchat::store
