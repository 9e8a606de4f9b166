#pragma once
// The PostgreSQL schema as numbered migrations, the same tables and rules as the SQLite schema
// (sqlite_migrations.cpp) in PostgreSQL's types. Applied in order and recorded in
// schema_migrations, all in one transaction that first takes a transaction-scoped advisory lock:
// replicas starting at once queue up on the lock, the first applies what is missing, the others
// then find nothing to do. A database that already has versions this build does not know (a
// newer release ran) is left as it is.
//
// Rules for adding one: append a new version (never edit a released one), keep each migration
// one transaction's worth of DDL/DML, and take no user data. A migration that needs values SQL
// cannot compute (NFKC, confusable skeletons) has a C++ `backfill` step, run between `sql` and
// `sql_after` inside the same transaction (and under the same advisory lock).
#include <cstdint>
#include <span>

namespace dchat::store {

class PgConnection;

struct PgMigration {
  int version;
  const char* description;
  const char* sql;
  void (*backfill)(PgConnection& db);  // nullptr when there is none
  const char* sql_after;               // nullptr when there is none
};

// Every migration, in version order.
std::span<const PgMigration> pg_migrations();

// The advisory lock key migrations run under ("dchat" in ASCII).
inline constexpr int64_t kPgMigrationLock = 0x6463686174;

// Applies what the database has not seen. Returns the number applied. Throws StoreError.
int apply_pg_migrations(PgConnection& db, int64_t now_ms);

}  // namespace dchat::store
