#pragma once
// A write transaction that takes the database's write lock at BEGIN (BEGIN IMMEDIATE) and rolls
// back unless committed.
//
// Why IMMEDIATE: a plain (deferred) BEGIN starts as a reader and upgrades to a writer at the first
// write; when another connection committed in between, WAL mode cannot upgrade the stale snapshot
// and fails with SQLITE_BUSY_SNAPSHOT without waiting. Taking the lock up front makes a second
// writer wait (busy_timeout) at BEGIN instead, so read-then-write sequences such as "read
// last_seq, then store last_seq + 1" are serialized across connections and processes.
//
// Inside a transaction that is already open (a group commit: Store::begin_group) it is a
// savepoint instead: commit() releases it into the outer transaction, and a rollback takes back
// only what was done since it began.
#include "store/sqlite_connection.hpp"

namespace dchat::store {

class SqliteTransaction {
 public:
  explicit SqliteTransaction(SqliteConnection& db);
  ~SqliteTransaction();
  SqliteTransaction(const SqliteTransaction&) = delete;
  SqliteTransaction& operator=(const SqliteTransaction&) = delete;

  // Throws StoreError when the commit fails; the destructor then rolls back.
  void commit();

 private:
  SqliteConnection& db_;
  bool nested_;
  bool done_ = false;
};

}  // namespace dchat::store
