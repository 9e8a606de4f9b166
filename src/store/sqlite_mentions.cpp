// SqliteStore: mentions (who a message names, who is to be told) and @-completion's members.
#include <algorithm>

#include "store/sqlite_connection.hpp"
#include "store/sqlite_rows.hpp"
#include "store/sqlite_store.hpp"
#include "store/sqlite_transaction.hpp"

namespace dchat::store {

using namespace sqlite_rows;

Mentions SqliteStore::set_mentions(int64_t room_id, int64_t seq, int64_t author_id, const MentionRequest& request) {
  SqliteTransaction tx(*db_);
  Mentions mentions;
  // One lookup per name (a message names at most a few: chat/mention_rules.hpp), members only.
  for (const std::string& key : request.name_keys) {
    auto q = db_->query(
        "SELECT u.id FROM users u JOIN room_members m ON m.room_id = ?1 AND m.user_id = u.id "
        "WHERE u.name_key = ?2 AND u.id <> ?3");
    q.bind(1, room_id).bind(2, key).bind(3, author_id);
    if (q.step()) mentions.users.push_back(q.int64(0));
  }
  std::sort(mentions.users.begin(), mentions.users.end());
  mentions.users.erase(std::unique(mentions.users.begin(), mentions.users.end()), mentions.users.end());
  if (request.room) {
    // Counted only up to one past the limit: a room of 100,000 members is not counted through.
    auto q = db_->query("SELECT count(*) FROM (SELECT 1 FROM room_members WHERE room_id = ?1 LIMIT ?2)");
    q.bind(1, room_id).bind(2, static_cast<int64_t>(request.room_limit) + 1);
    mentions.room = q.step() && static_cast<size_t>(q.int64(0)) <= request.room_limit;
  }
  {
    auto q = db_->query("DELETE FROM mentions WHERE room_id = ?1 AND seq = ?2");
    q.bind(1, room_id).bind(2, seq).run();
  }
  if (mentions.room) {
    auto q = db_->query(
        "INSERT INTO mentions (user_id, room_id, seq) SELECT user_id, ?1, ?2 FROM room_members "
        "WHERE room_id = ?1 AND user_id <> ?3");
    q.bind(1, room_id).bind(2, seq).bind(3, author_id).run();
  } else {
    for (int64_t user : mentions.users) {
      auto q = db_->query("INSERT INTO mentions (user_id, room_id, seq) VALUES (?1, ?2, ?3)");
      q.bind(1, user).bind(2, room_id).bind(3, seq).run();
    }
  }
  auto q = db_->query("UPDATE messages SET mentions = ?3 WHERE room_id = ?1 AND seq = ?2");
  q.bind(1, room_id).bind(2, seq).bind(3, mentions_text(mentions)).run();
  if (db_->changes() == 0) throw StoreError(StoreError::Kind::not_found, "no such message");
  tx.commit();
  return mentions;
}

int64_t SqliteStore::unread_mentions(int64_t room_id, int64_t user_id) {
  auto q = db_->query("SELECT " DCHAT_UNREAD_MENTIONS_SQL " FROM room_members m WHERE m.room_id = ?1 AND m.user_id = ?2");
  q.bind(1, room_id).bind(2, user_id);
  return q.step() ? q.int64(0) : 0;
}

std::vector<User> SqliteStore::members_named(int64_t room_id, const std::string& key_prefix, int limit) {
  if (limit <= 0) return {};
  // A range of the users.name_key index (BINARY: byte order; U+10FFFF sorts after every
  // character), each user checked against the room's members: a prefix in a room of 100,000
  // reads the users it matches, not the room.
  auto q = db_->query("SELECT " DCHAT_USER_COLUMNS
                      " FROM users u JOIN room_members m ON m.room_id = ?1 AND m.user_id = u.id "
                      "WHERE u.name_key >= ?2 AND u.name_key < ?2 || char(1114111) ORDER BY u.name_key LIMIT ?3");
  q.bind(1, room_id).bind(2, key_prefix).bind(3, int64_t{limit});
  std::vector<User> users;
  while (q.step()) users.push_back(read_user(q));
  return users;
}

}  // namespace dchat::store
