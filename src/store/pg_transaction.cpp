#include "store/pg_transaction.hpp"

#include "store/pg_connection.hpp"

namespace dchat::store {

PgTransaction::PgTransaction(PgConnection& db) : db_(db) { db_.exec("BEGIN"); }

PgTransaction::~PgTransaction() {
  if (!done_) db_.rollback_quietly();
}

void PgTransaction::commit() {
  done_ = true;
  db_.exec("COMMIT");
}

}  // namespace dchat::store
