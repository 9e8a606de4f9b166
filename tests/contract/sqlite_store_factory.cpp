// Runs the Store contract against SqliteStore, twice: on a private in-memory database (fast, what
// unit-style tests use) and on a database file in a fresh temporary directory (WAL, reopening,
// several connections on one file, as chatd runs in production).
#include <memory>
#include <string>
#include <vector>

#include "store/sqlite_store.hpp"
#include "store_contract.hpp"
#include "temp_directory.hpp"

namespace dchat::store::contract {
namespace {

ContractDatabase sqlite_memory_database() {
  ContractDatabase db;
  db.open = [] { return std::make_unique<SqliteStore>(":memory:"); };
  db.shared = false;
  return db;
}

ContractDatabase sqlite_file_database() {
  // A directory per test, and the file one level below it, so opening also exercises creating
  // missing parent directories.
  auto dir = std::make_shared<TempDirectory>("chatd-store-contract");
  const std::string path = (dir->path() / "data" / "chat.db").string();
  ContractDatabase db;
  db.open = [path] { return std::make_unique<SqliteStore>(path); };
  db.shared = true;
  db.drop = [dir]() mutable { dir.reset(); };
  return db;
}

std::vector<ContractBackend> sqlite_backends() {
  return {
      {"SqliteMemory", sqlite_memory_database},
      {"SqliteFile", sqlite_file_database},
  };
}

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreContract, ::testing::ValuesIn(sqlite_backends()), backend_name);

}  // namespace
}  // namespace dchat::store::contract
