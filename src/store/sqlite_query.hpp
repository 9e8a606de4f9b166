#pragma once
// One use of a cached prepared statement: bind parameters, step through rows, read columns.
// The statement stays owned by its SqliteConnection; a SqliteQuery borrows it for one scope and
// resets it (and clears its bindings) when it goes away, so the next use starts clean and no
// half-read statement keeps a read snapshot open in WAL mode.
//
// Values only ever reach SQL through bind(): statements are fixed text, user data is never
// spliced into it.
#include <cstdint>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace dchat::store {

class SqliteQuery {
 public:
  // `in_use` is the connection's flag for this statement; it is cleared on destruction.
  SqliteQuery(sqlite3* db, sqlite3_stmt* stmt, bool* in_use) noexcept;
  ~SqliteQuery();
  SqliteQuery(const SqliteQuery&) = delete;
  SqliteQuery& operator=(const SqliteQuery&) = delete;
  SqliteQuery(SqliteQuery&& other) noexcept;
  SqliteQuery& operator=(SqliteQuery&&) = delete;

  // Parameters are numbered from 1, as in SQL (?1, ?2, ...). Text is copied by SQLite, so
  // temporaries are safe to pass.
  SqliteQuery& bind(int index, int64_t value);
  SqliteQuery& bind(int index, std::string_view text);
  SqliteQuery& bind_null(int index);

  // Advances to the next row: true when a row is ready, false when the statement is done.
  // Throws StoreError on failure.
  bool step();
  // Runs a statement that returns no rows we need (INSERT, UPDATE, DELETE) to completion.
  void run();

  // Columns are numbered from 0. NULL reads as 0 / "".
  int64_t int64(int column) const;
  std::string text(int column) const;
  bool is_null(int column) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  bool* in_use_;
};

}  // namespace dchat::store
