#include "store/pg_transaction.hpp"

#include "store/pg_connection.hpp"

namespace dchat::store {

PgTransaction::PgTransaction(PgConnection& db) : db_(db), nested_(db.in_transaction()) {
  db_.exec(nested_ ? "SAVEPOINT nested" : "BEGIN");
}

PgTransaction::~PgTransaction() {
  if (done_) return;
  if (!nested_) {
    db_.rollback_quietly();
    return;
  }
  // Back to the savepoint and out of it: the outer transaction (the group) goes on. When the
  // connection is gone this fails too, and the group's commit reports it.
  try {
    db_.exec("ROLLBACK TO SAVEPOINT nested");
    db_.exec("RELEASE SAVEPOINT nested");
  } catch (...) {
  }
}

void PgTransaction::commit() {
  done_ = true;
  if (nested_) {
    db_.exec("RELEASE SAVEPOINT nested");
  } else {
    db_.commit();
  }
}

}  // namespace dchat::store
