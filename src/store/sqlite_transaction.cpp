#include "store/sqlite_transaction.hpp"

namespace dchat::store {

SqliteTransaction::SqliteTransaction(SqliteConnection& db) : db_(db) {
  db_.query("BEGIN IMMEDIATE").run();
}

SqliteTransaction::~SqliteTransaction() {
  if (done_) return;
  // SQLite ends the transaction by itself after some errors (SQLITE_FULL, some I/O errors);
  // a ROLLBACK then would only fail. A rollback failure cannot be reported from a destructor,
  // and the exception that brought us here is the one worth seeing.
  if (!db_.in_transaction()) return;
  try {
    db_.query("ROLLBACK").run();
  } catch (...) {
  }
}

void SqliteTransaction::commit() {
  db_.query("COMMIT").run();
  done_ = true;
}

}  // namespace dchat::store
