// Runs the Store contract against PgStore, each test on a fresh database of the test server
// (TEST_DATABASE_URL). Without that variable every test here fails, saying how to start it.
#include <memory>
#include <string>
#include <vector>

#include "pg_test_database.hpp"
#include "store/pg_store.hpp"
#include "store_contract.hpp"

namespace dchat::store::contract {
namespace {

ContractDatabase postgres_database() {
  auto database = std::make_shared<TestDatabase>();  // throws (test fails) without a server
  ContractDatabase db;
  db.open = [url = database->url()] { return std::make_unique<PgStore>(url); };
  db.shared = true;
  db.drop = [database]() mutable { database.reset(); };
  return db;
}

std::vector<ContractBackend> postgres_backends() { return {{"Postgres", postgres_database}}; }

INSTANTIATE_TEST_SUITE_P(Postgres, StoreContract, ::testing::ValuesIn(postgres_backends()), backend_name);

}  // namespace
}  // namespace dchat::store::contract
