#include "store/sqlite_error.hpp"

#include <sqlite3.h>

#include <string>

namespace dchat::store {

StoreError::Kind sqlite_error_kind(int extended_code) noexcept {
  switch (extended_code) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return StoreError::Kind::conflict;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return StoreError::Kind::not_found;
    default:
      // CHECK and NOT NULL violations can only come from a bug in this layer, and every other
      // code means the database itself failed: both are "the store could not do it".
      return StoreError::Kind::unavailable;
  }
}

void throw_sqlite_error(sqlite3* db, int code, std::string_view context) {
  // sqlite3_errmsg describes the most recent failure on the connection, which is this one as
  // long as it is read before anything else runs on `db`; without a handle (open failed before
  // one existed) the generic text for the code is all there is.
  const char* detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code);
  std::string what = "sqlite: ";
  what += context;
  what += ": ";
  what += detail != nullptr ? detail : "unknown error";
  what += " (code ";
  what += std::to_string(code);
  what += ")";
  throw StoreError(sqlite_error_kind(code), what);
}

}  // namespace dchat::store
