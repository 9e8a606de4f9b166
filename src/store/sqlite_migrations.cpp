#include "store/sqlite_migrations.hpp"

#include <vector>

#include "store/name_backfill.hpp"
#include "store/sqlite_connection.hpp"
#include "store/sqlite_transaction.hpp"

namespace dchat::store {

namespace {

// Version 1: the chat's tables.
//
// - name_key columns hold name_key(name) (computed in C++: SQL's lower() folds ASCII only) and
//   carry the case-insensitive uniqueness. Direct rooms leave rooms.name_key NULL and public
//   rooms leave dm_key NULL; NULLs never collide in a UNIQUE column, so each UNIQUE applies to one
//   kind only, and the CHECKs keep it that way.
// - dm_key is "<smaller user id>:<larger user id>", so (a, b) and (b, a) find the same room.
// - rooms.last_seq is the per-room message counter: append reads and bumps it inside the write
//   transaction that inserts the message, which keeps seq gap-free even if an insert fails.
// - created_by is NULL for rooms the server made (Room::created_by 0), so it can still reference
//   users.
// - UNIQUE(room_id, seq) is also the history index (seq ranges of one room, either direction).
// - The (author_id, client_id) index is partial: messages without an idempotency key ('') must
//   not collide with each other.
// - messages.author_id has no ON DELETE: removing an author must not punch holes into rooms'
//   gap-free histories, so it is refused until decided otherwise.
// - WITHOUT ROWID for tables whose primary key is how they are always read.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE users (
  id            INTEGER PRIMARY KEY,
  name          TEXT    NOT NULL,
  name_key      TEXT    NOT NULL UNIQUE,
  password_hash TEXT    NOT NULL,
  avatar        TEXT    NOT NULL DEFAULT '',
  avatar_small  TEXT    NOT NULL DEFAULT '',
  created_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
  token_hash TEXT    PRIMARY KEY,
  user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_by_expiry ON sessions(expires_at);
CREATE INDEX sessions_by_user ON sessions(user_id);

CREATE TABLE rooms (
  id         INTEGER PRIMARY KEY,
  kind       TEXT    NOT NULL CHECK (kind IN ('public', 'direct')),
  name       TEXT    NOT NULL DEFAULT '',
  name_key   TEXT    UNIQUE,
  dm_key     TEXT    UNIQUE,
  created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
  created_at INTEGER NOT NULL,
  last_seq   INTEGER NOT NULL DEFAULT 0,
  CHECK ((kind = 'public') = (name_key IS NOT NULL)),
  CHECK ((kind = 'direct') = (dm_key IS NOT NULL))
);

CREATE TABLE room_members (
  room_id   INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  user_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  joined_at INTEGER NOT NULL,
  PRIMARY KEY (room_id, user_id)
) WITHOUT ROWID;
CREATE INDEX room_members_by_user ON room_members(user_id, room_id);

CREATE TABLE messages (
  id         INTEGER PRIMARY KEY,
  room_id    INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  seq        INTEGER NOT NULL,
  author_id  INTEGER NOT NULL REFERENCES users(id),
  text       TEXT    NOT NULL,
  created_at INTEGER NOT NULL,
  client_id  TEXT    NOT NULL DEFAULT '',
  UNIQUE (room_id, seq)
);
CREATE UNIQUE INDEX messages_by_author_client ON messages(author_id, client_id) WHERE client_id <> '';
)sql";

// Version 2: blobs (avatars) in the database, for deployments without a shared UPLOAD_DIR.
// Content-addressed: id is the hex SHA-256 of bytes, so a second put of the same id is a no-op.
// A rowid table, not WITHOUT ROWID: its rows are large (up to megabytes), which WITHOUT ROWID
// tables handle poorly.
constexpr const char* kSchemaV2 = R"sql(
CREATE TABLE blobs (
  id         TEXT    PRIMARY KEY,
  bytes      BLOB    NOT NULL,
  created_at INTEGER
);
)sql";

// Version 3: names are unique by how they look (issue #9). name_skeleton holds the UTS #39
// skeleton (store/name_skeleton.hpp) of users' names and public rooms' names, UNIQUE, so a name
// confusable with an existing one cannot be stored; direct rooms have none (NULL, and NULLs never
// collide). The columns are added, filled by backfill_v3 (C++: see name_backfill.hpp for how
// existing names that look alike are kept usable), and only then indexed.
constexpr const char* kSchemaV3 = R"sql(
ALTER TABLE users ADD COLUMN name_skeleton TEXT;
ALTER TABLE rooms ADD COLUMN name_skeleton TEXT;
)sql";
constexpr const char* kSchemaV3After = R"sql(
CREATE UNIQUE INDEX users_by_skeleton ON users(name_skeleton);
CREATE UNIQUE INDEX rooms_by_skeleton ON rooms(name_skeleton);
)sql";

// Version 4: secrets every replica must share, by name (the device cookies' MAC key: see
// chat/device_cookie.hpp). Written once by whichever process comes first, read by all.
constexpr const char* kSchemaV4 = R"sql(
CREATE TABLE shared_secrets (
  name       TEXT    PRIMARY KEY,
  value      TEXT    NOT NULL,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

// Version 5: what team chats do to messages after they are sent (issue #13).
// - rooms.last_change numbers a room's edits, deletes and reaction changes (1, 2, 3... gap-free,
//   like last_seq for messages); messages.change_seq is the number of a message's latest change
//   (0: never changed), so "every message changed after N" is one range of messages_by_change
//   (partial: most messages never change). New messages take no change number.
// - reply_to: the seq of the message answered in the same room (0: none); seqs are gap-free and
//   messages are never removed (a delete leaves a tombstone), so a seq names one message for good.
// - edited_at, deleted_at: 0 when never.
// - reactions: one row per (message, emoji, user), keyed like messages by (room_id, seq) so a
//   page of messages reads its reactions as one range of the primary key.
// - room_members.read_seq: how far the member has read (unread counts, on every device);
//   existing members start as having read everything (their browsers kept read marks of their
//   own until now).
constexpr const char* kSchemaV5 = R"sql(
ALTER TABLE rooms ADD COLUMN last_change INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN reply_to INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN edited_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN deleted_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 0;
CREATE INDEX messages_by_change ON messages(room_id, change_seq) WHERE change_seq > 0;
CREATE TABLE reactions (
  room_id    INTEGER NOT NULL,
  seq        INTEGER NOT NULL,
  emoji      TEXT    NOT NULL,
  user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (room_id, seq, emoji, user_id),
  FOREIGN KEY (room_id, seq) REFERENCES messages(room_id, seq) ON DELETE CASCADE
) WITHOUT ROWID;
ALTER TABLE room_members ADD COLUMN read_seq INTEGER NOT NULL DEFAULT 0;
UPDATE room_members SET read_seq = (SELECT last_seq FROM rooms WHERE rooms.id = room_members.room_id);
)sql";

// Version 6: full-text search over message text (issue #13). An external-content FTS5 table
// (the text is stored once, in messages) kept in step by triggers: a new message is indexed, an
// edit replaces its words, a delete (the text becomes '') takes them out. unicode61 folds case
// but keeps diacritics, as PostgreSQL's 'simple' configuration does, so both stores find the
// same messages. detail=none and columnsize=0: searches are "all of these words", never
// phrases or ranked, so the index keeps no positions and no sizes; that made each message's
// indexing 12 % cheaper on the chat path (BENCHMARKS.md). 'rebuild' indexes what a database
// held before.
constexpr const char* kSchemaV6 = R"sql(
CREATE VIRTUAL TABLE messages_fts USING fts5(text, content='messages', content_rowid='id',
                                             tokenize='unicode61 remove_diacritics 0',
                                             detail=none, columnsize=0);
INSERT INTO messages_fts(messages_fts) VALUES ('rebuild');
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
  INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages BEGIN
  INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
  INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
  INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
)sql";

// Version 7: mentions (issue #13). messages.mentions is what a message shows (message_rows.hpp
// mentions_text: "room,3,7"); the mentions table is who is to be told, one row per mentioned
// member (for @room, every member but the author), keyed by user so that a user's unread
// mentions in a room ("seq > read_seq") are one range of the primary key. mentions_by_message
// serves edits and deletes, which replace or clear a message's rows.
constexpr const char* kSchemaV7 = R"sql(
ALTER TABLE messages ADD COLUMN mentions TEXT NOT NULL DEFAULT '';
CREATE TABLE mentions (
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  room_id INTEGER NOT NULL,
  seq     INTEGER NOT NULL,
  PRIMARY KEY (user_id, room_id, seq),
  FOREIGN KEY (room_id, seq) REFERENCES messages(room_id, seq) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX mentions_by_message ON mentions(room_id, seq);
)sql";

// Version 8: image attachments (issue #13). An attachment is uploaded first (seq NULL) and
// linked to its message when that is sent; messages.attachments is what the message shows of
// them (message_rows.hpp attachments_text), so reading messages never joins this table. The
// partial indexes serve the per-uploader limit on unsent attachments and their expiry sweep;
// the blob indexes tell whether a content-addressed blob is still used by another attachment.
constexpr const char* kSchemaV8 = R"sql(
ALTER TABLE messages ADD COLUMN attachments TEXT NOT NULL DEFAULT '';
CREATE TABLE attachments (
  id           TEXT PRIMARY KEY,
  room_id      INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  uploader_id  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  blob         TEXT NOT NULL,
  thumb_blob   TEXT NOT NULL,
  width        INTEGER NOT NULL,
  height       INTEGER NOT NULL,
  thumb_width  INTEGER NOT NULL,
  thumb_height INTEGER NOT NULL,
  bytes        INTEGER NOT NULL,
  created_at   INTEGER NOT NULL,
  seq          INTEGER,
  FOREIGN KEY (room_id, seq) REFERENCES messages(room_id, seq) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX attachments_unsent_by_uploader ON attachments(uploader_id) WHERE seq IS NULL;
CREATE INDEX attachments_unsent_by_age ON attachments(created_at) WHERE seq IS NULL;
CREATE INDEX attachments_by_message ON attachments(room_id, seq) WHERE seq IS NOT NULL;
CREATE INDEX attachments_by_blob ON attachments(blob);
CREATE INDEX attachments_by_thumb_blob ON attachments(thumb_blob);
)sql";

// Version 9: new messages reach the search index in batches (Store::index_search), not one
// FTS5 segment per transaction: search_indexed holds the highest message id in messages_fts
// (everything at or below it is indexed). The insert trigger goes; the update and delete triggers
// only fire for messages already indexed (the others are indexed with their text as it is then).
constexpr const char* kSchemaV9 = R"sql(
CREATE TABLE search_indexed (id INTEGER NOT NULL);
INSERT INTO search_indexed (id) SELECT COALESCE(MAX(id), 0) FROM messages;
DROP TRIGGER messages_fts_insert;
DROP TRIGGER messages_fts_update;
DROP TRIGGER messages_fts_delete;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages
WHEN old.id <= (SELECT id FROM search_indexed) BEGIN
  INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
  INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
WHEN old.id <= (SELECT id FROM search_indexed) BEGIN
  INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
)sql";

// The statements of one table's backfill: fixed text, one set per table.
struct NameTable {
  const char* label;
  const char* select;   // id, name, name_key in id order
  const char* set_key;  // ?1 id, ?2 name_key
  const char* set_all;  // ?1 id, ?2 name, ?3 name_key, ?4 name_skeleton
};

constexpr NameTable kUserNames{
    "users", "SELECT id, name, name_key FROM users ORDER BY id", "UPDATE users SET name_key = ?2 WHERE id = ?1",
    "UPDATE users SET name = ?2, name_key = ?3, name_skeleton = ?4 WHERE id = ?1"};
constexpr NameTable kRoomNames{
    "public rooms", "SELECT id, name, name_key FROM rooms WHERE kind = 'public' ORDER BY id",
    "UPDATE rooms SET name_key = ?2 WHERE id = ?1",
    "UPDATE rooms SET name = ?2, name_key = ?3, name_skeleton = ?4 WHERE id = ?1"};

void backfill_names(SqliteConnection& db, const NameTable& table) {
  std::vector<NameRow> rows;
  {
    auto q = db.query(table.select);
    while (q.step()) rows.push_back(NameRow{q.int64(0), q.text(1), q.text(2)});
  }
  const NameBackfill plan = plan_name_backfill(rows);
  // Keys that change first move out of the way, so two rows can trade keys without the UNIQUE
  // constraint seeing a duplicate in between.
  for (const NameRowUpdate& row : plan.rows) {
    if (!row.key_changed) continue;
    auto q = db.query(table.set_key);
    q.bind(1, row.id).bind(2, placeholder_name_key(row.id)).run();
  }
  for (const NameRowUpdate& row : plan.rows) {
    auto q = db.query(table.set_all);
    q.bind(1, row.id).bind(2, row.name).bind(3, row.key);
    if (row.skeleton) {
      q.bind(4, *row.skeleton);
    } else {
      q.bind_null(4);
    }
    q.run();
  }
  log_name_backfill(table.label, plan);
}

void backfill_v3(SqliteConnection& db) {
  backfill_names(db, kUserNames);
  backfill_names(db, kRoomNames);
}

constexpr SqliteMigration kMigrations[] = {
    {1, "users, sessions, rooms, room_members, messages", kSchemaV1, nullptr, nullptr},
    {2, "blobs", kSchemaV2, nullptr, nullptr},
    {3, "name skeletons: names unique by how they look", kSchemaV3, backfill_v3, kSchemaV3After},
    {4, "shared secrets", kSchemaV4, nullptr, nullptr},
    {5, "edits, deletes, replies, reactions, read positions", kSchemaV5, nullptr, nullptr},
    {6, "full-text search of messages", kSchemaV6, nullptr, nullptr},
    {7, "mentions", kSchemaV7, nullptr, nullptr},
    {8, "attachments", kSchemaV8, nullptr, nullptr},
    {9, "search index in batches", kSchemaV9, nullptr, nullptr},
};

}  // namespace

std::span<const SqliteMigration> sqlite_migrations() { return kMigrations; }

int apply_sqlite_migrations(SqliteConnection& db, int64_t now_ms) {
  SqliteTransaction tx(db);
  db.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      " version INTEGER PRIMARY KEY,"
      " description TEXT NOT NULL,"
      " applied_at INTEGER NOT NULL)");
  int64_t current = 0;
  {
    auto q = db.query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    if (q.step()) current = q.int64(0);
  }
  int applied = 0;
  for (const SqliteMigration& migration : kMigrations) {
    if (migration.version <= current) continue;
    db.exec(migration.sql);
    if (migration.backfill != nullptr) migration.backfill(db);
    if (migration.sql_after != nullptr) db.exec(migration.sql_after);
    auto q = db.query("INSERT INTO schema_migrations (version, description, applied_at) VALUES (?1, ?2, ?3)");
    q.bind(1, int64_t{migration.version}).bind(2, migration.description).bind(3, now_ms).run();
    ++applied;
  }
  tx.commit();
  return applied;
}

}  // namespace dchat::store
