#pragma once
// The SQLite schema as numbered migrations, applied in order and recorded in schema_migrations,
// so a database created by any earlier release is brought up to date at start-up. The SQL lives
// in the binary rather than in .sql files beside it: chatd is one file to deploy, and a schema
// that cannot go missing or drift from the code that queries it.
//
// Rules for adding one: append a new version (never edit a released one), keep each migration
// one transaction's worth of DDL/DML, and take no user data. A migration that needs values SQL
// cannot compute (NFKC, confusable skeletons) has a C++ `backfill` step, run between `sql` and
// `sql_after` inside the same transaction.
#include <cstdint>
#include <span>

namespace dchat::store {

class SqliteConnection;

struct SqliteMigration {
  int version;
  const char* description;
  const char* sql;
  void (*backfill)(SqliteConnection& db);  // nullptr when there is none
  const char* sql_after;                   // nullptr when there is none
};

// Every migration, in version order.
std::span<const SqliteMigration> sqlite_migrations();

// Applies the migrations the database has not seen, in one IMMEDIATE transaction, so two
// processes starting at once on the same file apply each migration exactly once. A database that
// already has versions this build does not know (a newer release ran) is left as it is.
// Returns the number applied. Throws StoreError.
int apply_sqlite_migrations(SqliteConnection& db, int64_t now_ms);

}  // namespace dchat::store
