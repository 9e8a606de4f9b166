/* chatd's SQLite wrapper, call for call (see sqlite_calls.h). */
#include "sqlite_calls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

sqlite3 *db;
volatile int64_t sink;

void die(const char *what, int rc) {
  if (rc == 0) fprintf(stderr, "chat_floor: %s\n", what);
  else fprintf(stderr, "chat_floor: %s: %s (code %d)\n", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc), rc);
  exit(2);
}

void exec(const char *sql) {
  char *msg = NULL;
  int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
  if (rc != SQLITE_OK) {
    fprintf(stderr, "chat_floor: %s: %s\n", sql, msg ? msg : sqlite3_errstr(rc));
    exit(2);
  }
}

sqlite3_stmt *prepare(const char *sql) {
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
  if (rc != SQLITE_OK) die(sql, rc);
  return stmt;
}

int step(sqlite3_stmt *stmt) {
  int rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW) return 1;
  if (rc == SQLITE_DONE) return 0;
  die(sqlite3_sql(stmt), rc);
  return 0;
}

void run(sqlite3_stmt *stmt) {
  while (step(stmt)) {
  }
}

void done(sqlite3_stmt *stmt) {
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
}

void bind_int(sqlite3_stmt *stmt, int i, int64_t v) {
  int rc = sqlite3_bind_int64(stmt, i, v);
  if (rc != SQLITE_OK) die("bind", rc);
}

void bind_text(sqlite3_stmt *stmt, int i, const char *s, size_t n) {
  int rc = sqlite3_bind_text64(stmt, i, s, n, SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) die("bind", rc);
}

void read_text(sqlite3_stmt *stmt, int col) {
  static char scratch[8192];
  const unsigned char *p = sqlite3_column_text(stmt, col);
  int n = sqlite3_column_bytes(stmt, col);
  if (p != NULL && n > 0) memcpy(scratch, p, (size_t)n < sizeof scratch ? (size_t)n : sizeof scratch);
}
