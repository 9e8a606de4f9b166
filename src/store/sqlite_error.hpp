#pragma once
// The one place where SQLite result codes become StoreError kinds, so every SQLite class reports
// failures the same way and callers only ever see the Store interface's three kinds.
#include <string_view>

#include "store/store.hpp"

struct sqlite3;

namespace dchat::store {

// Maps an extended SQLite result code: unique/primary-key violations are `conflict` (a name or
// token is taken), foreign-key violations are `not_found` (the referenced user or room does not
// exist), everything else (BUSY, LOCKED, IOERR, CANTOPEN, FULL, CORRUPT, NOTADB, ...) is
// `unavailable`: the database could not do the work and retrying later may help.
StoreError::Kind sqlite_error_kind(int extended_code) noexcept;

// Throws the StoreError for `code`, with SQLite's own message (taken from `db` when given) and
// `context` (what was being done) in its text.
[[noreturn]] void throw_sqlite_error(sqlite3* db, int code, std::string_view context);

}  // namespace dchat::store
