#include "store/sqlite_transaction.hpp"

namespace dchat::store {

SqliteTransaction::SqliteTransaction(SqliteConnection& db) : db_(db), nested_(db.in_transaction()) {
  db_.query(nested_ ? "SAVEPOINT nested" : "BEGIN IMMEDIATE").run();
}

SqliteTransaction::~SqliteTransaction() {
  if (done_) return;
  // SQLite ends the transaction by itself after some errors (SQLITE_FULL, some I/O errors);
  // a ROLLBACK then would only fail. A rollback failure cannot be reported from a destructor,
  // and the exception that brought us here is the one worth seeing.
  if (!db_.in_transaction()) return;
  try {
    if (nested_) {
      // ROLLBACK TO keeps the savepoint open; RELEASE closes it, leaving the outer transaction.
      db_.query("ROLLBACK TO nested").run();
      db_.query("RELEASE nested").run();
    } else {
      db_.query("ROLLBACK").run();
    }
  } catch (...) {
  }
}

void SqliteTransaction::commit() {
  db_.query(nested_ ? "RELEASE nested" : "COMMIT").run();
  done_ = true;
}

}  // namespace dchat::store
