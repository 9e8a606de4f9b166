/*
 * The few SQLite calls chat_floor makes, each doing what chatd's wrapper around it does
 * (src/store/sqlite_connection.cpp, SqliteQuery): one connection, statements prepared once,
 * every use ended by a reset. Any error ends the program with exit code 2.
 */
#ifndef CHAT_FLOOR_SQLITE_CALLS_H
#define CHAT_FLOOR_SQLITE_CALLS_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

/* The one connection (chatd's store has one writer connection). */
extern sqlite3 *db;

/* Keeps the column reads from being optimised away. */
extern volatile int64_t sink;

/* Prints what failed (with SQLite's message when rc != 0) and exits 2. */
void die(const char *what, int rc);
/* sqlite3_exec of one or more statements. */
void exec(const char *sql);
/* SQLITE_PREPARE_PERSISTENT, as SqliteConnection::query prepares (and caches) every statement. */
sqlite3_stmt *prepare(const char *sql);
/* SqliteQuery::step: 1 on a row, 0 when done. */
int step(sqlite3_stmt *stmt);
/* SqliteQuery::run: steps to the end. */
void run(sqlite3_stmt *stmt);
/* ~SqliteQuery: every use of a statement ends with a reset and cleared bindings. */
void done(sqlite3_stmt *stmt);
void bind_int(sqlite3_stmt *stmt, int i, int64_t v);
/* SqliteQuery::bind(string_view): a copy (SQLITE_TRANSIENT), with the byte count. */
void bind_text(sqlite3_stmt *stmt, int i, const char *s, size_t n);
/* SqliteQuery::text: chatd copies every text column it reads into a std::string. */
void read_text(sqlite3_stmt *stmt, int col);

#endif
