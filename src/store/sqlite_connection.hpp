#pragma once
// One SQLite connection, configured the way the chat needs it, with its prepared statements
// cached: every Store method runs the same handful of statements, and preparing (parsing and
// planning) them again on every call would cost more than running them.
//
// Settings, and why:
// - WAL journal: readers never block the writer and vice versa, and a commit is one append to
//   the log instead of rewriting pages twice;
// - synchronous=NORMAL: with WAL, a crash (not a power cut) loses nothing, and a power cut may lose
//   only the last commits, never consistency; FULL would fsync on every message;
// - foreign_keys=ON: SQLite leaves them off by default, per connection;
// - temp_store=MEMORY: statement journals and savepoints in small heap chunks instead of 64 KiB
//   ones that the allocator returns to the kernel after every write (see the constructor);
// - busy_timeout: a second writer (another thread's connection, or another process on the same
//   file) waits for the lock instead of failing at once with SQLITE_BUSY.
//
// Not thread-safe: one thread at a time, as the Store interface promises.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "store/sqlite_query.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace dchat::store {

class SqliteConnection {
 public:
  // Opens (creating when missing) the database at `path`, creating its parent directories.
  // ":memory:" gives a private in-memory database. Throws StoreError(unavailable).
  SqliteConnection(const std::string& path, std::chrono::milliseconds busy_timeout);
  ~SqliteConnection();
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  // The cached statement for `sql` (prepared on first use), ready to bind. `sql` must be one
  // fixed statement; values go through SqliteQuery::bind. Using the same statement twice at once
  // (a nested query with the same text) is a programming error and throws std::logic_error.
  SqliteQuery query(std::string_view sql);

  // Runs fixed SQL text that may hold several statements and takes no parameters (schema
  // changes). Never pass user data here.
  void exec(const char* sql);

  int64_t last_insert_rowid() const;
  int64_t changes() const;
  // True while a transaction is open (SQLite ends some transactions by itself on errors such as
  // SQLITE_FULL, so the transaction guard asks instead of assuming).
  bool in_transaction() const;

 private:
  void switch_to_wal(std::chrono::milliseconds busy_timeout);

  struct StatementDeleter {
    void operator()(sqlite3_stmt* stmt) const noexcept;
  };
  struct Cached {
    std::unique_ptr<sqlite3_stmt, StatementDeleter> stmt;
    bool in_use = false;
  };
  // Lets the cache be searched with a string_view, without building a std::string per call.
  struct TextHash {
    using is_transparent = void;
    size_t operator()(std::string_view text) const noexcept { return std::hash<std::string_view>{}(text); }
  };

  sqlite3* db_ = nullptr;
  // Node-based map: a Cached entry never moves, so SqliteQuery may point at its in_use flag.
  std::unordered_map<std::string, Cached, TextHash, std::equal_to<>> statements_;
};

}  // namespace dchat::store
