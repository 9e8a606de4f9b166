#include "store/sqlite_query.hpp"

#include <sqlite3.h>

#include "store/sqlite_error.hpp"

namespace dchat::store {

SqliteQuery::SqliteQuery(sqlite3* db, sqlite3_stmt* stmt, bool* in_use) noexcept
    : db_(db), stmt_(stmt), in_use_(in_use) {}

SqliteQuery::SqliteQuery(SqliteQuery&& other) noexcept
    : db_(other.db_), stmt_(other.stmt_), in_use_(other.in_use_) {
  other.stmt_ = nullptr;
  other.in_use_ = nullptr;
}

SqliteQuery::~SqliteQuery() {
  if (stmt_ == nullptr) return;
  // sqlite3_reset repeats the last step's error code; that error was already reported (thrown)
  // by step(), so it is deliberately ignored here.
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  if (in_use_ != nullptr) *in_use_ = false;
}

SqliteQuery& SqliteQuery::bind(int index, int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK) throw_sqlite_error(db_, rc, "bind");
  return *this;
}

SqliteQuery& SqliteQuery::bind(int index, std::string_view text) {
  // An empty string_view may have a null data(), which SQLite would store as NULL rather than
  // '' (and NOT NULL columns would refuse it), so empty text gets a real pointer.
  const char* data = text.data() != nullptr ? text.data() : "";
  const int rc = sqlite3_bind_text64(stmt_, index, data, text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) throw_sqlite_error(db_, rc, "bind");
  return *this;
}

SqliteQuery& SqliteQuery::bind_null(int index) {
  const int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK) throw_sqlite_error(db_, rc, "bind");
  return *this;
}

bool SqliteQuery::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw_sqlite_error(db_, rc, sqlite3_sql(stmt_));
}

void SqliteQuery::run() {
  while (step()) {
  }
}

int64_t SqliteQuery::int64(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string SqliteQuery::text(int column) const {
  // Text is read with its byte count, so values holding NUL bytes come back whole.
  const auto* data = sqlite3_column_text(stmt_, column);
  if (data == nullptr) return {};
  const int size = sqlite3_column_bytes(stmt_, column);
  return std::string(reinterpret_cast<const char*>(data), static_cast<size_t>(size));
}

bool SqliteQuery::is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

}  // namespace dchat::store
