/*
 * chat_floor: what SQLite alone costs per stored chat message on this machine, with chatd's
 * schema, pragmas and per-message statements (see README.md for the mapping to the C++ code).
 *
 *   chat_floor DB_PATH MESSAGES BATCH [TEXT_BYTES] [ROOMS] [STATEMENTS] [CLIENT_IDS]
 *
 *   BATCH       messages per write transaction (1: chatd today; N: a group commit)
 *   TEXT_BYTES  message text size (default 100)
 *   ROOMS       rooms written round-robin, one sender each (default 1)
 *   STATEMENTS  chatd (default): every statement chatd runs to store a message
 *               tx:    only the ones inside chatd's write transaction (no autocommit pre-reads)
 *               min:   only UPDATE rooms ... RETURNING + INSERT INTO messages
 *   CLIENT_IDS  seq (default): "<run>-<n>" as bench/overload.mjs sends; uuid: random v4 UUIDs
 *               as the web client (crypto.randomUUID) sends; none: no idempotency key ('')
 *   CHAT_FLOOR_PRAGMAS (environment, experiments only): SQL run after chatd's pragmas, e.g.
 *               "PRAGMA cache_size = -8000"; the JSON line then says "extra_pragmas":true
 *
 * Prints one JSON line; exits 1 when a room's seqs are not gap-free, 2 on any SQLite error.
 * Build: gcc -O2 -Wall -Wextra chat_floor.c -lsqlite3
 */
#define _GNU_SOURCE
#include <sqlite3.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- the schema: src/store/sqlite_migrations.cpp, every migration in order (keep in sync) ---- */

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

/* ---- chatd's statements, text for text (src/store/sqlite_store.cpp, sqlite_transaction.cpp) ---- */

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

/* ---- helpers ---- */

static sqlite3 *db;

static void die(const char *what, int rc) {
  if (rc == 0) fprintf(stderr, "chat_floor: %s\n", what);
  else fprintf(stderr, "chat_floor: %s: %s (code %d)\n", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc), rc);
  exit(2);
}

static void exec(const char *sql) {
  char *msg = NULL;
  int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
  if (rc != SQLITE_OK) {
    fprintf(stderr, "chat_floor: %s: %s\n", sql, msg ? msg : sqlite3_errstr(rc));
    exit(2);
  }
}

static sqlite3_stmt *prepare(const char *sql) {
  sqlite3_stmt *stmt = NULL;
  /* PERSISTENT, as SqliteConnection::query prepares (and caches) every statement */
  int rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
  if (rc != SQLITE_OK) die(sql, rc);
  return stmt;
}

/* SqliteQuery::step: true on a row, false when done, exit on an error */
static int step(sqlite3_stmt *stmt) {
  int rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW) return 1;
  if (rc == SQLITE_DONE) return 0;
  die(sqlite3_sql(stmt), rc);
  return 0;
}

/* SqliteQuery::run */
static void run(sqlite3_stmt *stmt) {
  while (step(stmt)) {
  }
}

/* ~SqliteQuery: every use of a statement ends with these two */
static void done(sqlite3_stmt *stmt) {
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
}

static void bind_int(sqlite3_stmt *stmt, int i, int64_t v) {
  int rc = sqlite3_bind_int64(stmt, i, v);
  if (rc != SQLITE_OK) die("bind", rc);
}

/* SqliteQuery::bind(string_view): a copy (SQLITE_TRANSIENT), with the byte count */
static void bind_text(sqlite3_stmt *stmt, int i, const char *s, size_t n) {
  int rc = sqlite3_bind_text64(stmt, i, s, n, SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) die("bind", rc);
}

/* SqliteQuery::text: chatd copies every text column it reads into a std::string */
static char scratch[8192];
static void read_text(sqlite3_stmt *stmt, int col) {
  const unsigned char *p = sqlite3_column_text(stmt, col);
  int n = sqlite3_column_bytes(stmt, col);
  if (p != NULL && n > 0) memcpy(scratch, p, (size_t)n < sizeof scratch ? (size_t)n : sizeof scratch);
}

static volatile int64_t sink; /* keeps the column reads */

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double tv_s(struct timeval tv) { return (double)tv.tv_sec + (double)tv.tv_usec / 1e6; }

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long file_bytes(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 ? (long long)st.st_size : 0;
}

/* ---- the WAL hook: SQLite's default auto-checkpoint (sqlite3WalDefaultHook), counted ---- */

static int autocheckpoint_frames = 1000;
static long checkpoints;
static long long checkpoint_frames;
static double checkpoint_wall;

static int wal_hook(void *arg, sqlite3 *handle, const char *name, int frames) {
  (void)arg;
  if (frames < autocheckpoint_frames) return SQLITE_OK;
  /* what the default hook does: sqlite3_wal_checkpoint(db, zDb), i.e. PASSIVE */
  int log = 0, done_frames = 0;
  double t0 = now_s();
  sqlite3_wal_checkpoint_v2(handle, name, SQLITE_CHECKPOINT_PASSIVE, &log, &done_frames);
  checkpoint_wall += now_s() - t0;
  checkpoints++;
  if (done_frames > 0) checkpoint_frames += done_frames;
  return SQLITE_OK;
}

/* ---- client ids ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next_random(void) { /* xorshift64* */
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return rng * 0x2545f4914f6cdd1dull;
}

static size_t make_client_id(char *out, const char *kind, const char *run_label, long n) {
  if (strcmp(kind, "none") == 0) {
    out[0] = '\0';
    return 0;
  }
  if (strcmp(kind, "uuid") == 0) {
    uint64_t a = next_random(), b = next_random();
    a = (a & ~0xf000ull) | 0x4000ull;                   /* version 4 */
    b = (b & 0x3fffffffffffffffull) | 0x8000000000000000ull; /* variant */
    return (size_t)sprintf(out, "%08x-%04x-%04x-%04x-%012llx", (unsigned)(a >> 32), (unsigned)((a >> 16) & 0xffff),
                           (unsigned)(a & 0xffff), (unsigned)(b >> 48), (unsigned long long)(b & 0xffffffffffffull));
  }
  return (size_t)sprintf(out, "%s-%ld", run_label, n);
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr,
            "usage: %s DB_PATH MESSAGES BATCH [TEXT_BYTES=100] [ROOMS=1] [STATEMENTS=chatd|tx|min] "
            "[CLIENT_IDS=seq|uuid|none]\n",
            argv[0]);
    return 2;
  }
  const char *path = argv[1];
  const long messages = atol(argv[2]);
  const long batch = atol(argv[3]);
  const long text_bytes = argc > 4 ? atol(argv[4]) : 100;
  const long rooms = argc > 5 ? atol(argv[5]) : 1;
  const char *mode = argc > 6 ? argv[6] : "chatd";
  const char *ids = argc > 7 ? argv[7] : "seq";
  if (messages < 1 || batch < 1 || text_bytes < 1 || text_bytes > 4000 || rooms < 1) {
    fprintf(stderr, "chat_floor: MESSAGES, BATCH, ROOMS >= 1; 1 <= TEXT_BYTES <= 4000\n");
    return 2;
  }
  const int pre_reads = strcmp(mode, "chatd") == 0;
  const int tx_reads = pre_reads || strcmp(mode, "tx") == 0;
  if (!tx_reads && strcmp(mode, "min") != 0) {
    fprintf(stderr, "chat_floor: STATEMENTS is chatd, tx or min\n");
    return 2;
  }
  if (strcmp(ids, "seq") != 0 && strcmp(ids, "uuid") != 0 && strcmp(ids, "none") != 0) {
    fprintf(stderr, "chat_floor: CLIENT_IDS is seq, uuid or none\n");
    return 2;
  }

  /* A fresh database. */
  char side[4096];
  unlink(path);
  snprintf(side, sizeof side, "%s-wal", path);
  unlink(side);
  char wal_path[4096];
  snprintf(wal_path, sizeof wal_path, "%s-wal", path);
  snprintf(side, sizeof side, "%s-shm", path);
  unlink(side);
  snprintf(side, sizeof side, "%s-journal", path);
  unlink(side);

  /* SqliteConnection: open flags, extended codes, busy timeout (5 s: SqliteStore's default), pragmas. */
  int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI,
                           NULL);
  if (rc != SQLITE_OK) die("open", rc);
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, 5000);
  exec("PRAGMA journal_mode = WAL");
  exec("PRAGMA synchronous = NORMAL");
  exec("PRAGMA foreign_keys = ON");
  exec("PRAGMA temp_store = MEMORY"); /* chatd sets it too (sqlite_connection.cpp) */
  /* Experiments only (chatd sets none of these): CHAT_FLOOR_PRAGMAS="PRAGMA cache_size = ...; ..." */
  const char *extra = getenv("CHAT_FLOOR_PRAGMAS");
  if (extra != NULL && *extra != '\0') exec(extra);
  else extra = "";
  {
    sqlite3_stmt *q = prepare("PRAGMA wal_autocheckpoint");
    if (step(q)) autocheckpoint_frames = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
  }
  /* Replaces the default hook with the same behaviour, counted (autocheckpoint_frames <= 0: off). */
  if (autocheckpoint_frames > 0) sqlite3_wal_hook(db, wal_hook, NULL);
  else autocheckpoint_frames = 0x7fffffff;

  /* apply_sqlite_migrations: one write transaction. */
  const int64_t t_setup = now_ms();
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
    bind_int(q, 3, t_setup);
    run(q);
    sqlite3_finalize(q);
  }
  exec("COMMIT");

  /* One sender per room (create_user, create_public_room, add_member), like bench/overload.mjs. */
  exec("BEGIN IMMEDIATE");
  {
    sqlite3_stmt *user = prepare(
        "INSERT INTO users (name, name_key, name_skeleton, password_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)");
    sqlite3_stmt *room = prepare(
        "INSERT INTO rooms (kind, name, name_key, name_skeleton, created_by, created_at) "
        "VALUES ('public', ?1, ?2, ?3, ?4, ?5)");
    sqlite3_stmt *member = prepare(
        "INSERT INTO room_members (room_id, user_id, joined_at) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (room_id, user_id) DO NOTHING");
    const char *hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";
    char name[64];
    for (long r = 1; r <= rooms; r++) {
      int n = snprintf(name, sizeof name, "floor-user-%ld", r);
      bind_text(user, 1, name, (size_t)n);
      bind_text(user, 2, name, (size_t)n);
      bind_text(user, 3, name, (size_t)n);
      bind_text(user, 4, hash, strlen(hash));
      bind_int(user, 5, t_setup);
      run(user);
      done(user);
      const int64_t user_id = sqlite3_last_insert_rowid(db);
      n = r == 1 ? snprintf(name, sizeof name, "general") : snprintf(name, sizeof name, "floor-room-%ld", r);
      bind_text(room, 1, name, (size_t)n);
      bind_text(room, 2, name, (size_t)n);
      bind_text(room, 3, name, (size_t)n);
      bind_int(room, 4, user_id);
      bind_int(room, 5, t_setup);
      run(room);
      done(room);
      const int64_t room_id = sqlite3_last_insert_rowid(db);
      if (room_id != r || user_id != r) die("setup: unexpected ids", 0);
      bind_int(member, 1, room_id);
      bind_int(member, 2, user_id);
      bind_int(member, 3, t_setup);
      run(member);
      done(member);
    }
    sqlite3_finalize(user);
    sqlite3_finalize(room);
    sqlite3_finalize(member);
  }
  exec("COMMIT");

  /* chatd's statements, prepared once. */
  sqlite3_stmt *find_room = prepare(kFindRoom);
  sqlite3_stmt *is_member = prepare(kIsMember);
  sqlite3_stmt *find_dup = prepare(kFindByClientId);
  sqlite3_stmt *begin = prepare(kBegin);
  sqlite3_stmt *author_name = prepare(kAuthorName);
  sqlite3_stmt *bump = prepare(kBumpSeq);
  sqlite3_stmt *insert = prepare(kInsert);
  sqlite3_stmt *commit = prepare(kCommit);

  /* Texts: "load <n> xxxx..." of TEXT_BYTES, as bench/overload.mjs sends. */
  char *text = malloc((size_t)text_bytes + 32);
  memset(text, 'x', (size_t)text_bytes + 31);
  char run_label[32];
  snprintf(run_label, sizeof run_label, "floor%lx", (long)(now_ms() % 0xffffffffL));
  char client_id[64];

  struct rusage ru0, ru1;
  const int64_t created_at = now_ms();
  long transactions = 0;
  getrusage(RUSAGE_SELF, &ru0);
  const double t0 = now_s();

  for (long first = 0; first < messages; first += batch) {
    const long last = first + batch < messages ? first + batch : messages;
    /* With BATCH 1 this is chatd's append exactly: find_room, is_member and the first duplicate
     * check run in autocommit (a read transaction each), then the write transaction. With a
     * larger BATCH, every message runs the same statements in the same order, all inside one
     * transaction (what wrapping N post_message calls in one BEGIN ... COMMIT would do). */
    const int reads_outside = batch == 1;
    for (long i = first; i < last; i++) {
      const int64_t room_id = i % rooms + 1;
      const int64_t author_id = room_id;
      const size_t id_len = make_client_id(client_id, ids, run_label, i);
      int n = snprintf(text, (size_t)text_bytes + 1, "load %ld ", i);
      if (n < text_bytes) text[n] = 'x';
      text[text_bytes] = '\0';

      if (i == first && !reads_outside) {
        step(begin);
        done(begin);
        transactions++;
      }
      if (pre_reads) {
        /* post_message: find_room, is_member */
        bind_int(find_room, 1, room_id);
        if (!step(find_room)) die("no room", 0);
        sink += sqlite3_column_int64(find_room, 0);
        read_text(find_room, 1);
        read_text(find_room, 2);
        sink += sqlite3_column_int64(find_room, 3) + sqlite3_column_int64(find_room, 4) +
                sqlite3_column_int64(find_room, 5);
        done(find_room);
        bind_int(is_member, 1, room_id);
        bind_int(is_member, 2, author_id);
        if (!step(is_member)) die("not a member", 0);
        done(is_member);
        /* append_message: the resend check without the write lock */
        if (id_len > 0) {
          bind_int(find_dup, 1, author_id);
          bind_text(find_dup, 2, client_id, id_len);
          if (step(find_dup)) die("duplicate client id", 0);
          done(find_dup);
        }
      }
      if (reads_outside) {
        step(begin);
        done(begin);
        transactions++;
      }
      if (tx_reads) {
        /* the resend check again, under the write lock */
        if (id_len > 0) {
          bind_int(find_dup, 1, author_id);
          bind_text(find_dup, 2, client_id, id_len);
          if (step(find_dup)) die("duplicate client id", 0);
          done(find_dup);
        }
        /* the author's name for the answer */
        bind_int(author_name, 1, author_id);
        if (!step(author_name)) die("no user", 0);
        read_text(author_name, 0);
        done(author_name);
      }
      /* read and bump the room's seq: step for the row, then run to the end (as chatd does) */
      bind_int(bump, 1, room_id);
      if (!step(bump)) die("no room", 0);
      const int64_t seq = sqlite3_column_int64(bump, 0);
      run(bump);
      done(bump);
      /* the message */
      bind_int(insert, 1, room_id);
      bind_int(insert, 2, seq);
      bind_int(insert, 3, author_id);
      bind_text(insert, 4, text, (size_t)text_bytes);
      bind_int(insert, 5, created_at + i / 1000);
      bind_text(insert, 6, client_id, id_len);
      run(insert);
      sink += sqlite3_last_insert_rowid(db);
      done(insert);
      if (reads_outside) {
        step(commit);
        done(commit);
      }
    }
    if (!reads_outside) {
      step(commit);
      done(commit);
    }
  }

  const double wall = now_s() - t0;
  getrusage(RUSAGE_SELF, &ru1);
  const double user = tv_s(ru1.ru_utime) - tv_s(ru0.ru_utime);
  const double sys = tv_s(ru1.ru_stime) - tv_s(ru0.ru_stime);
  const long long wal_bytes = file_bytes(wal_path);
  const long long db_bytes = file_bytes(path);

  /* Every room's seq gap-free: count = max(seq) = last_seq, min(seq) = 1; every message stored. */
  int ok = 1;
  long long total = 0;
  {
    sqlite3_stmt *q = prepare(
        "SELECT r.id, r.last_seq, COUNT(m.id), COALESCE(MIN(m.seq), 0), COALESCE(MAX(m.seq), 0) "
        "FROM rooms r LEFT JOIN messages m ON m.room_id = r.id GROUP BY r.id ORDER BY r.id");
    while (step(q)) {
      const int64_t id = sqlite3_column_int64(q, 0), last_seq = sqlite3_column_int64(q, 1),
                    count = sqlite3_column_int64(q, 2), min_seq = sqlite3_column_int64(q, 3),
                    max_seq = sqlite3_column_int64(q, 4);
      const int64_t expected = messages / rooms + (id <= messages % rooms ? 1 : 0);
      total += count;
      if (count != max_seq || count != last_seq || count != expected || (count > 0 && min_seq != 1)) {
        fprintf(stderr, "chat_floor: room %lld: %lld messages, seq %lld..%lld, last_seq %lld, expected %lld\n",
                (long long)id, (long long)count, (long long)min_seq, (long long)max_seq, (long long)last_seq,
                (long long)expected);
        ok = 0;
      }
    }
    sqlite3_finalize(q);
  }
  if (total != messages) {
    fprintf(stderr, "chat_floor: %lld messages stored, %ld sent\n", total, messages);
    ok = 0;
  }

  printf("{\"batch\":%ld,\"messages\":%ld,\"text_bytes\":%ld,\"rooms\":%ld,\"statements\":\"%s\",\"client_ids\":\"%s\","
         "\"transactions\":%ld,\"wall_s\":%.4f,\"cpu_user_s\":%.4f,\"cpu_sys_s\":%.4f,\"cpu_us_per_msg\":%.2f,"
         "\"msgs_per_s\":%.0f,\"wal_autocheckpoint\":%d,\"checkpoints\":%ld,\"checkpoint_frames\":%lld,"
         "\"checkpoint_wall_s\":%.4f,\"wal_bytes_end\":%lld,\"db_bytes_end\":%lld,\"sqlite\":\"%s\",\"extra_pragmas\":%s,"
         "\"ok\":%s}\n",
         batch, messages, text_bytes, rooms, mode, ids, transactions, wall, user, sys, (user + sys) * 1e6 / messages,
         messages / wall, autocheckpoint_frames == 0x7fffffff ? 0 : autocheckpoint_frames, checkpoints,
         checkpoint_frames, checkpoint_wall, wal_bytes, db_bytes, sqlite3_libversion(), *extra ? "true" : "false",
         ok ? "true" : "false");
  fflush(stdout);

  sqlite3_finalize(find_room);
  sqlite3_finalize(is_member);
  sqlite3_finalize(find_dup);
  sqlite3_finalize(begin);
  sqlite3_finalize(author_name);
  sqlite3_finalize(bump);
  sqlite3_finalize(insert);
  sqlite3_finalize(commit);
  free(text);
  sqlite3_close(db);
  return ok ? 0 : 1;
}
