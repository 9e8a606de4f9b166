/* chatd's per-message statements and the order it runs them in (see message_path.h). */
#include "message_path.h"

#include "sqlite_calls.h"

/* Text for text as in src/store/sqlite_store.cpp and sqlite_transaction.cpp (keep in sync). */

/* post_message (src/chat/chat_queries.cpp) -> SqliteStore::find_room */
static const char *kFindRoom =
    "SELECT r.id, r.kind, r.name, COALESCE(r.created_by, 0), r.created_at, r.last_seq, COALESCE(r.dm_key, '')"
    " FROM rooms r WHERE r.id = ?1";
/* post_message -> SqliteStore::is_member */
static const char *kIsMember = "SELECT 1 FROM room_members WHERE room_id = ?1 AND user_id = ?2";
/* append_message -> find_message_by_client_id (before the transaction, and again inside it) */
static const char *kFindByClientId =
    "SELECT m.id, m.room_id, m.seq, m.author_id, COALESCE(u.name, ''), m.text, m.created_at, "
    "m.client_id FROM messages m LEFT JOIN users u ON u.id = m.author_id "
    "WHERE m.author_id = ?1 AND m.client_id = ?2 AND m.client_id <> ''";
static const char *kBegin = "BEGIN IMMEDIATE";
static const char *kAuthorName = "SELECT name FROM users WHERE id = ?1";
static const char *kBumpSeq = "UPDATE rooms SET last_seq = last_seq + 1 WHERE id = ?1 RETURNING last_seq";
static const char *kInsert =
    "INSERT INTO messages (room_id, seq, author_id, text, created_at, client_id) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char *kCommit = "COMMIT";

void prepare_message_path(struct message_path *path) {
  path->find_room = prepare(kFindRoom);
  path->is_member = prepare(kIsMember);
  path->find_dup = prepare(kFindByClientId);
  path->begin = prepare(kBegin);
  path->author_name = prepare(kAuthorName);
  path->bump = prepare(kBumpSeq);
  path->insert = prepare(kInsert);
  path->commit = prepare(kCommit);
}

void finalize_message_path(struct message_path *path) {
  sqlite3_finalize(path->find_room);
  sqlite3_finalize(path->is_member);
  sqlite3_finalize(path->find_dup);
  sqlite3_finalize(path->begin);
  sqlite3_finalize(path->author_name);
  sqlite3_finalize(path->bump);
  sqlite3_finalize(path->insert);
  sqlite3_finalize(path->commit);
}

void begin_write(const struct message_path *path) {
  step(path->begin);
  done(path->begin);
}

void commit_write(const struct message_path *path) {
  step(path->commit);
  done(path->commit);
}

/* find_message_by_client_id: a stored message with this key would make it a resend. */
static void check_not_a_resend(const struct message_path *path, const struct message *m) {
  if (m->id_len == 0) return;
  bind_int(path->find_dup, 1, m->author_id);
  bind_text(path->find_dup, 2, m->client_id, m->id_len);
  if (step(path->find_dup)) die("duplicate client id", 0);
  done(path->find_dup);
}

void read_before_write(const struct message_path *path, const struct message *m) {
  /* post_message: find_room (every column read, as chatd builds a Room), is_member */
  bind_int(path->find_room, 1, m->room_id);
  if (!step(path->find_room)) die("no room", 0);
  sink += sqlite3_column_int64(path->find_room, 0);
  read_text(path->find_room, 1);
  read_text(path->find_room, 2);
  sink += sqlite3_column_int64(path->find_room, 3) + sqlite3_column_int64(path->find_room, 4) +
          sqlite3_column_int64(path->find_room, 5);
  done(path->find_room);
  bind_int(path->is_member, 1, m->room_id);
  bind_int(path->is_member, 2, m->author_id);
  if (!step(path->is_member)) die("not a member", 0);
  done(path->is_member);
  /* append_message: the resend check without the write lock */
  check_not_a_resend(path, m);
}

void read_under_lock(const struct message_path *path, const struct message *m) {
  check_not_a_resend(path, m);
  bind_int(path->author_name, 1, m->author_id);
  if (!step(path->author_name)) die("no user", 0);
  read_text(path->author_name, 0);
  done(path->author_name);
}

void store_message(const struct message_path *path, const struct message *m) {
  /* read and bump the room's seq: step for the row, then run to the end (as chatd does) */
  bind_int(path->bump, 1, m->room_id);
  if (!step(path->bump)) die("no room", 0);
  const int64_t seq = sqlite3_column_int64(path->bump, 0);
  run(path->bump);
  done(path->bump);
  bind_int(path->insert, 1, m->room_id);
  bind_int(path->insert, 2, seq);
  bind_int(path->insert, 3, m->author_id);
  bind_text(path->insert, 4, m->text, m->text_len);
  bind_int(path->insert, 5, m->created_at);
  bind_text(path->insert, 6, m->client_id, m->id_len);
  run(path->insert);
  sink += sqlite3_last_insert_rowid(db);
  done(path->insert);
}
