#pragma once
// A PostgreSQL transaction for one scope: BEGIN on construction, ROLLBACK on destruction unless
// commit() ran. Default isolation (READ COMMITTED): the statements that need serializing take
// row locks (UPDATE ... RETURNING) or rely on unique indexes (INSERT ... ON CONFLICT).
// Inside a transaction that is already open (a group commit: Store::begin_group) it is a
// savepoint instead, so a failure takes back only its own statements.
namespace dchat::store {

class PgConnection;

class PgTransaction {
 public:
  explicit PgTransaction(PgConnection& db);  // throws StoreError
  ~PgTransaction();
  PgTransaction(const PgTransaction&) = delete;
  PgTransaction& operator=(const PgTransaction&) = delete;

  void commit();  // throws StoreError (the transaction is over either way)

 private:
  PgConnection& db_;
  bool nested_;
  bool done_ = false;
};

}  // namespace dchat::store
