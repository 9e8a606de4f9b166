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
 * Build: gcc -O2 -Wall -Wextra *.c -lsqlite3 (schema.c: the migrations and senders; message_path.c:
 * chatd's statements for one message; sqlite_calls.c: chatd's SQLite wrapper, call for call).
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

#include "message_path.h"
#include "schema.h"
#include "sqlite_calls.h"

/* ---- the command line ---- */

struct options {
  const char *path;
  long messages, batch, text_bytes, rooms;
  const char *mode; /* STATEMENTS */
  const char *ids;  /* CLIENT_IDS */
  int pre_reads;    /* chatd: post_message's reads before the write transaction */
  int tx_reads;     /* chatd or tx: the reads inside it */
};

/* 0 when the arguments are usable; otherwise prints why and returns 2 (the exit code). */
static int parse_options(int argc, char **argv, struct options *o) {
  if (argc < 4) {
    fprintf(stderr,
            "usage: %s DB_PATH MESSAGES BATCH [TEXT_BYTES=100] [ROOMS=1] [STATEMENTS=chatd|tx|min] "
            "[CLIENT_IDS=seq|uuid|none]\n",
            argv[0]);
    return 2;
  }
  o->path = argv[1];
  o->messages = atol(argv[2]);
  o->batch = atol(argv[3]);
  o->text_bytes = argc > 4 ? atol(argv[4]) : 100;
  o->rooms = argc > 5 ? atol(argv[5]) : 1;
  o->mode = argc > 6 ? argv[6] : "chatd";
  o->ids = argc > 7 ? argv[7] : "seq";
  if (o->messages < 1 || o->batch < 1 || o->text_bytes < 1 || o->text_bytes > 4000 || o->rooms < 1) {
    fprintf(stderr, "chat_floor: MESSAGES, BATCH, ROOMS >= 1; 1 <= TEXT_BYTES <= 4000\n");
    return 2;
  }
  o->pre_reads = strcmp(o->mode, "chatd") == 0;
  o->tx_reads = o->pre_reads || strcmp(o->mode, "tx") == 0;
  if (!o->tx_reads && strcmp(o->mode, "min") != 0) {
    fprintf(stderr, "chat_floor: STATEMENTS is chatd, tx or min\n");
    return 2;
  }
  if (strcmp(o->ids, "seq") != 0 && strcmp(o->ids, "uuid") != 0 && strcmp(o->ids, "none") != 0) {
    fprintf(stderr, "chat_floor: CLIENT_IDS is seq, uuid or none\n");
    return 2;
  }
  return 0;
}

/* ---- clocks and files ---- */

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

/* A fresh database: the file and every side file SQLite may have left next to it. */
static void remove_database(const char *path) {
  const char *sides[] = {"", "-wal", "-shm", "-journal"};
  char file[4096];
  for (size_t i = 0; i < sizeof sides / sizeof *sides; i++) {
    snprintf(file, sizeof file, "%s%s", path, sides[i]);
    unlink(file);
  }
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

/* Replaces the default hook with the same behaviour, counted (a limit <= 0 turns it off). */
static void count_checkpoints(void) {
  sqlite3_stmt *q = prepare("PRAGMA wal_autocheckpoint");
  if (step(q)) autocheckpoint_frames = sqlite3_column_int(q, 0);
  sqlite3_finalize(q);
  if (autocheckpoint_frames > 0) sqlite3_wal_hook(db, wal_hook, NULL);
  else autocheckpoint_frames = 0x7fffffff;
}

/* SqliteConnection: open flags, extended codes, busy timeout (5 s: SqliteStore's default),
 * pragmas. Returns CHAT_FLOOR_PRAGMAS ("" when unset). */
static const char *open_like_chatd(const char *path) {
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
  count_checkpoints();
  return extra;
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

/* ---- the measured part: storing the messages ---- */

/* Message i: its room and sender (round-robin), client id and text ("load <i> xxxx..." of
 * TEXT_BYTES, as bench/overload.mjs sends). `text` has room for TEXT_BYTES + 1. */
static struct message message_number(const struct options *o, long i, int64_t created_at, char *text,
                                      char *client_id, const char *run_label) {
  struct message m;
  m.room_id = i % o->rooms + 1;
  m.author_id = m.room_id;
  m.id_len = make_client_id(client_id, o->ids, run_label, i);
  m.client_id = client_id;
  int n = snprintf(text, (size_t)o->text_bytes + 1, "load %ld ", i);
  if (n < o->text_bytes) text[n] = 'x';
  text[o->text_bytes] = '\0';
  m.text = text;
  m.text_len = (size_t)o->text_bytes;
  m.created_at = created_at + i / 1000;
  return m;
}

/* Stores every message, BATCH per write transaction; returns how many transactions it took.
 * With BATCH 1 this is chatd's append exactly: find_room, is_member and the first duplicate
 * check run in autocommit (a read transaction each), then the write transaction. With a larger
 * BATCH, every message runs the same statements in the same order, all inside one transaction
 * (what wrapping N post_message calls in one BEGIN ... COMMIT would do). */
static long store_messages(const struct options *o, const struct message_path *path, int64_t created_at) {
  char *text = malloc((size_t)o->text_bytes + 32);
  memset(text, 'x', (size_t)o->text_bytes + 31);
  char run_label[32];
  snprintf(run_label, sizeof run_label, "floor%lx", (long)(now_ms() % 0xffffffffL));
  char client_id[64];
  const int reads_outside = o->batch == 1;
  long transactions = 0;
  for (long first = 0; first < o->messages; first += o->batch) {
    const long last = first + o->batch < o->messages ? first + o->batch : o->messages;
    if (!reads_outside) {
      begin_write(path);
      transactions++;
    }
    for (long i = first; i < last; i++) {
      const struct message m = message_number(o, i, created_at, text, client_id, run_label);
      if (o->pre_reads) read_before_write(path, &m);
      if (reads_outside) {
        begin_write(path);
        transactions++;
      }
      if (o->tx_reads) read_under_lock(path, &m);
      store_message(path, &m);
      if (reads_outside) commit_write(path);
    }
    if (!reads_outside) commit_write(path);
  }
  free(text);
  return transactions;
}

/* ---- the check and the report ---- */

/* Every room's seq gap-free: count = max(seq) = last_seq, min(seq) = 1; every message stored.
 * Returns 1 when so; otherwise prints what is wrong and returns 0. */
static int seqs_are_gap_free(long messages, long rooms) {
  int ok = 1;
  long long total = 0;
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
  if (total != messages) {
    fprintf(stderr, "chat_floor: %lld messages stored, %ld sent\n", total, messages);
    ok = 0;
  }
  return ok;
}

/* What the run cost: wall time, CPU, and the database's files at the end. */
struct cost {
  long transactions;
  double wall, user, sys;
  long long wal_bytes, db_bytes;
};

/* The one JSON line (bench/run.sh chat-floor reads it). */
static void print_report(const struct options *o, const struct cost *c, const char *extra, int ok) {
  printf("{\"batch\":%ld,\"messages\":%ld,\"text_bytes\":%ld,\"rooms\":%ld,\"statements\":\"%s\",\"client_ids\":\"%s\","
         "\"transactions\":%ld,\"wall_s\":%.4f,\"cpu_user_s\":%.4f,\"cpu_sys_s\":%.4f,\"cpu_us_per_msg\":%.2f,"
         "\"msgs_per_s\":%.0f,\"wal_autocheckpoint\":%d,\"checkpoints\":%ld,\"checkpoint_frames\":%lld,"
         "\"checkpoint_wall_s\":%.4f,\"wal_bytes_end\":%lld,\"db_bytes_end\":%lld,\"sqlite\":\"%s\",\"extra_pragmas\":%s,"
         "\"ok\":%s}\n",
         o->batch, o->messages, o->text_bytes, o->rooms, o->mode, o->ids, c->transactions, c->wall, c->user, c->sys,
         (c->user + c->sys) * 1e6 / o->messages, o->messages / c->wall,
         autocheckpoint_frames == 0x7fffffff ? 0 : autocheckpoint_frames, checkpoints, checkpoint_frames,
         checkpoint_wall, c->wal_bytes, c->db_bytes, sqlite3_libversion(), *extra ? "true" : "false",
         ok ? "true" : "false");
  fflush(stdout);
}

int main(int argc, char **argv) {
  struct options o;
  const int bad_arguments = parse_options(argc, argv, &o);
  if (bad_arguments) return bad_arguments;

  remove_database(o.path);
  const char *extra = open_like_chatd(o.path);
  const int64_t t_setup = now_ms();
  apply_migrations(t_setup);
  create_senders(o.rooms, t_setup);

  struct message_path path;
  prepare_message_path(&path);
  struct rusage ru0, ru1;
  const int64_t created_at = now_ms();
  getrusage(RUSAGE_SELF, &ru0);
  const double t0 = now_s();
  struct cost cost;
  cost.transactions = store_messages(&o, &path, created_at);
  cost.wall = now_s() - t0;
  getrusage(RUSAGE_SELF, &ru1);
  cost.user = tv_s(ru1.ru_utime) - tv_s(ru0.ru_utime);
  cost.sys = tv_s(ru1.ru_stime) - tv_s(ru0.ru_stime);
  char wal_path[4096];
  snprintf(wal_path, sizeof wal_path, "%s-wal", o.path);
  cost.wal_bytes = file_bytes(wal_path);
  cost.db_bytes = file_bytes(o.path);

  const int ok = seqs_are_gap_free(o.messages, o.rooms);
  print_report(&o, &cost, extra, ok);
  finalize_message_path(&path);
  sqlite3_close(db);
  return ok ? 0 : 1;
}
