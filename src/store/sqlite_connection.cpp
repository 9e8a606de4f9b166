#include "store/sqlite_connection.hpp"

#include <sqlite3.h>

#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "store/sqlite_error.hpp"

namespace dchat::store {

namespace {

// Paths SQLite treats specially and that name no directory to create.
bool is_special_path(const std::string& path) {
  return path.empty() || path == ":memory:" || path.rfind("file:", 0) == 0;
}

void create_parent_directories(const std::string& path) {
  if (is_special_path(path)) return;
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  if (ec) {
    throw StoreError(StoreError::Kind::unavailable,
                     "sqlite: cannot create directory " + parent.string() + ": " + ec.message());
  }
}

// Process-wide SQLite settings, before the library initialises (at the first open). Memory
// statistics off: with them on, every sqlite3_malloc and free takes one global mutex shared by
// all connections (found with perf: about 6 % of chatd's CPU at 20,000 msgs/s, in the pool and
// the writer), and chatd never reads them. Fails harmlessly (SQLITE_MISUSE) when something else
// in the process initialised SQLite first.
void configure_sqlite_once() {
  static std::once_flag once;
  std::call_once(once, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

}  // namespace

void SqliteConnection::switch_to_wal(std::chrono::milliseconds busy_timeout) {
  // Two connections opening a new file at once both switch it from the rollback journal to WAL.
  // Each holds a shared lock and wants an exclusive one; SQLite breaks that deadlock by failing
  // one side with SQLITE_BUSY at once, without calling the busy handler (found by the blob
  // store's concurrent-put test: about 1 run in 3). The loser retries until the timeout: by
  // then the winner has switched the file, and the pragma is a no-op.
  const auto deadline = std::chrono::steady_clock::now() + busy_timeout;
  for (;;) {
    const int rc = sqlite3_exec(db_, "PRAGMA journal_mode = WAL", nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK) return;  // answers "memory" for in-memory databases; harmless
    if (rc != SQLITE_BUSY || std::chrono::steady_clock::now() >= deadline) {
      throw_sqlite_error(db_, rc, "PRAGMA journal_mode = WAL");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void SqliteConnection::StatementDeleter::operator()(sqlite3_stmt* stmt) const noexcept {
  sqlite3_finalize(stmt);
}

SqliteConnection::SqliteConnection(const std::string& path, std::chrono::milliseconds busy_timeout) {
  create_parent_directories(path);
  configure_sqlite_once();
  // NOMUTEX: the Store contract already guarantees one thread at a time per object, so SQLite's
  // per-connection mutex would only add cost. URI names ("file:...?mode=ro") are accepted so
  // operators can pass SQLite options through the path.
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI;
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    // Even a failed open usually allocates a handle (which carries the message); it must be
    // closed all the same.
    std::string what = "open " + path;
    if (db_ != nullptr) {
      what += ": ";
      what += sqlite3_errmsg(db_);
      sqlite3_close(db_);
      db_ = nullptr;
    }
    throw_sqlite_error(nullptr, rc, what);
  }
  try {
    // Extended codes tell a unique violation (conflict) from a foreign-key one (not found).
    sqlite3_extended_result_codes(db_, 1);
    // The timeout comes first: switching to WAL needs a lock that another connection opening
    // the same file at the same moment may hold.
    sqlite3_busy_timeout(db_, static_cast<int>(busy_timeout.count()));
    switch_to_wal(busy_timeout);
    exec("PRAGMA synchronous = NORMAL");
    exec("PRAGMA foreign_keys = ON");
    // Statement journals and savepoints in memory: with the default (files), SQLite's in-memory
    // journal for every write inside a transaction grows in 64 KiB chunks, and glibc hands each
    // chunk back to the kernel after the statement (an madvise or brk per message, measured with
    // bench/chat-floor: 48 -> 8 us of CPU per message at 100 per transaction). In memory they are
    // 1 KiB chunks. They only ever hold one transaction's undo data, which group commits bound.
    exec("PRAGMA temp_store = MEMORY");
    // A deleted message's text must be gone from the file, not left in a page's free space
    // (issue #13): SQLite overwrites what a delete or an update frees with zeros. Messages are
    // rarely changed, so the cost falls on deletes and edits, not on sends.
    exec("PRAGMA secure_delete = ON");
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

SqliteConnection::~SqliteConnection() {
  // Statements first: sqlite3_close refuses to close a connection with live statements.
  statements_.clear();
  if (db_ != nullptr) sqlite3_close(db_);
}

SqliteQuery SqliteConnection::query(std::string_view sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    sqlite3_stmt* raw = nullptr;
    // PERSISTENT: these statements live as long as the connection, which lets SQLite allocate
    // them outside its short-lived lookaside memory.
    const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    if (rc != SQLITE_OK) throw_sqlite_error(db_, rc, "prepare " + std::string(sql));
    Cached cached;
    cached.stmt.reset(raw);
    it = statements_.emplace(std::string(sql), std::move(cached)).first;
  }
  Cached& cached = it->second;
  if (cached.in_use) throw std::logic_error("sqlite statement used twice at once: " + std::string(sql));
  cached.in_use = true;
  return SqliteQuery(db_, cached.stmt.get(), &cached.in_use);
}

void SqliteConnection::exec(const char* sql) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string what = message != nullptr ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    throw StoreError(sqlite_error_kind(rc), "sqlite: " + what + " (code " + std::to_string(rc) + ")");
  }
}

int64_t SqliteConnection::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

int64_t SqliteConnection::changes() const { return sqlite3_changes64(db_); }

bool SqliteConnection::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

}  // namespace dchat::store
