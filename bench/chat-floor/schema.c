/* chatd's schema (every SQLite migration) and the senders chat_floor writes as. */
#include "schema.h"

#include <stdio.h>
#include <string.h>

#include "sqlite_calls.h"

/* src/store/sqlite_migrations.cpp, every migration in order (keep in sync by hand). */

static const char *kSchemaMigrations =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY,"
    " description TEXT NOT NULL,"
    " applied_at INTEGER NOT NULL)";

static const char *kSchemaV1 =
    "CREATE TABLE users (\n"
    "  id            INTEGER PRIMARY KEY,\n"
    "  name          TEXT    NOT NULL,\n"
    "  name_key      TEXT    NOT NULL UNIQUE,\n"
    "  password_hash TEXT    NOT NULL,\n"
    "  avatar        TEXT    NOT NULL DEFAULT '',\n"
    "  avatar_small  TEXT    NOT NULL DEFAULT '',\n"
    "  created_at    INTEGER NOT NULL\n"
    ");\n"
    "CREATE TABLE sessions (\n"
    "  token_hash TEXT    PRIMARY KEY,\n"
    "  user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,\n"
    "  expires_at INTEGER NOT NULL\n"
    ") WITHOUT ROWID;\n"
    "CREATE INDEX sessions_by_expiry ON sessions(expires_at);\n"
    "CREATE INDEX sessions_by_user ON sessions(user_id);\n"
    "CREATE TABLE rooms (\n"
    "  id         INTEGER PRIMARY KEY,\n"
    "  kind       TEXT    NOT NULL CHECK (kind IN ('public', 'direct')),\n"
    "  name       TEXT    NOT NULL DEFAULT '',\n"
    "  name_key   TEXT    UNIQUE,\n"
    "  dm_key     TEXT    UNIQUE,\n"
    "  created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,\n"
    "  created_at INTEGER NOT NULL,\n"
    "  last_seq   INTEGER NOT NULL DEFAULT 0,\n"
    "  CHECK ((kind = 'public') = (name_key IS NOT NULL)),\n"
    "  CHECK ((kind = 'direct') = (dm_key IS NOT NULL))\n"
    ");\n"
    "CREATE TABLE room_members (\n"
    "  room_id   INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,\n"
    "  user_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,\n"
    "  joined_at INTEGER NOT NULL,\n"
    "  PRIMARY KEY (room_id, user_id)\n"
    ") WITHOUT ROWID;\n"
    "CREATE INDEX room_members_by_user ON room_members(user_id, room_id);\n"
    "CREATE TABLE messages (\n"
    "  id         INTEGER PRIMARY KEY,\n"
    "  room_id    INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,\n"
    "  seq        INTEGER NOT NULL,\n"
    "  author_id  INTEGER NOT NULL REFERENCES users(id),\n"
    "  text       TEXT    NOT NULL,\n"
    "  created_at INTEGER NOT NULL,\n"
    "  client_id  TEXT    NOT NULL DEFAULT '',\n"
    "  UNIQUE (room_id, seq)\n"
    ");\n"
    "CREATE UNIQUE INDEX messages_by_author_client ON messages(author_id, client_id) WHERE client_id <> '';\n";

static const char *kSchemaV2 =
    "CREATE TABLE blobs (\n"
    "  id         TEXT    PRIMARY KEY,\n"
    "  bytes      BLOB    NOT NULL,\n"
    "  created_at INTEGER\n"
    ");\n";

static const char *kSchemaV3 =
    "ALTER TABLE users ADD COLUMN name_skeleton TEXT;\n"
    "ALTER TABLE rooms ADD COLUMN name_skeleton TEXT;\n";
/* (the v3 backfill has nothing to do on an empty database) */
static const char *kSchemaV3After =
    "CREATE UNIQUE INDEX users_by_skeleton ON users(name_skeleton);\n"
    "CREATE UNIQUE INDEX rooms_by_skeleton ON rooms(name_skeleton);\n";

static const char *kSchemaV4 =
    "CREATE TABLE shared_secrets (\n"
    "  name       TEXT    PRIMARY KEY,\n"
    "  value      TEXT    NOT NULL,\n"
    "  created_at INTEGER NOT NULL\n"
    ") WITHOUT ROWID;\n";

void apply_migrations(int64_t now_ms) {
  exec("BEGIN IMMEDIATE");
  exec(kSchemaMigrations);
  const char *migrations[][2] = {{kSchemaV1, "users, sessions, rooms, room_members, messages"},
                                 {kSchemaV2, "blobs"},
                                 {kSchemaV3, "name skeletons: names unique by how they look"},
                                 {kSchemaV4, "shared secrets"}};
  for (int v = 0; v < 4; v++) {
    exec(migrations[v][0]);
    if (v == 2) exec(kSchemaV3After);
    sqlite3_stmt *q = prepare("INSERT INTO schema_migrations (version, description, applied_at) VALUES (?1, ?2, ?3)");
    bind_int(q, 1, v + 1);
    bind_text(q, 2, migrations[v][1], strlen(migrations[v][1]));
    bind_int(q, 3, now_ms);
    run(q);
    sqlite3_finalize(q);
  }
  exec("COMMIT");
}

/* The three inserts that make a sender and their room. */
struct sender_statements {
  sqlite3_stmt *user, *room, *member;
};

/* User r ("floor-user-<r>") and room r ("general", then "floor-room-<r>"), r a member of it. */
static void create_sender(const struct sender_statements *s, long r, int64_t now_ms) {
  const char *hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";
  char name[64];
  int n = snprintf(name, sizeof name, "floor-user-%ld", r);
  bind_text(s->user, 1, name, (size_t)n);
  bind_text(s->user, 2, name, (size_t)n);
  bind_text(s->user, 3, name, (size_t)n);
  bind_text(s->user, 4, hash, strlen(hash));
  bind_int(s->user, 5, now_ms);
  run(s->user);
  done(s->user);
  const int64_t user_id = sqlite3_last_insert_rowid(db);
  n = r == 1 ? snprintf(name, sizeof name, "general") : snprintf(name, sizeof name, "floor-room-%ld", r);
  bind_text(s->room, 1, name, (size_t)n);
  bind_text(s->room, 2, name, (size_t)n);
  bind_text(s->room, 3, name, (size_t)n);
  bind_int(s->room, 4, user_id);
  bind_int(s->room, 5, now_ms);
  run(s->room);
  done(s->room);
  const int64_t room_id = sqlite3_last_insert_rowid(db);
  if (room_id != r || user_id != r) die("setup: unexpected ids", 0);
  bind_int(s->member, 1, room_id);
  bind_int(s->member, 2, user_id);
  bind_int(s->member, 3, now_ms);
  run(s->member);
  done(s->member);
}

void create_senders(long rooms, int64_t now_ms) {
  exec("BEGIN IMMEDIATE");
  struct sender_statements s;
  s.user = prepare(
      "INSERT INTO users (name, name_key, name_skeleton, password_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)");
  s.room = prepare(
      "INSERT INTO rooms (kind, name, name_key, name_skeleton, created_by, created_at) "
      "VALUES ('public', ?1, ?2, ?3, ?4, ?5)");
  s.member = prepare(
      "INSERT INTO room_members (room_id, user_id, joined_at) VALUES (?1, ?2, ?3) "
      "ON CONFLICT (room_id, user_id) DO NOTHING");
  for (long r = 1; r <= rooms; r++) create_sender(&s, r, now_ms);
  sqlite3_finalize(s.user);
  sqlite3_finalize(s.room);
  sqlite3_finalize(s.member);
  exec("COMMIT");
}
