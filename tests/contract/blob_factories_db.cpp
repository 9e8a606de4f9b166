// The BlobStore contract run against DbBlobStore: on a SQLite file (each test in a fresh
// temporary directory) and on PostgreSQL (each test on a fresh database; without
// TEST_DATABASE_URL these fail, saying how to start the server). Plus what only DbBlobStore
// promises: the connection pool, and sharing blobs through the database.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "blob/db_blob_store.hpp"
#include "blob_contract.hpp"
#include "pg_test_database.hpp"
#include "store/store_factory.hpp"
#include "temp_directory.hpp"

namespace dchat::blob::contract {
namespace {

using store::contract::TempDirectory;
using store::contract::TestDatabase;

// The store plus the database it lives in, dropped after the store (members are destroyed in
// reverse order).
class SqliteDbBlobStore : public BlobStore {
 public:
  SqliteDbBlobStore() : store_(store::make_store_factory("sqlite:" + (dir_.path() / "blobs.db").string())) {}
  std::string put(std::string_view bytes) override { return store_.put(bytes); }
  std::string put_attachment(std::string_view bytes) override { return store_.put_attachment(bytes); }
  std::optional<std::string> get(const std::string& id) override { return store_.get(id); }
  bool remove(const std::string& id) override { return store_.remove(id); }

 private:
  TempDirectory dir_{"chatd-db-blob"};
  DbBlobStore store_;
};

class PostgresDbBlobStore : public BlobStore {
 public:
  PostgresDbBlobStore() : store_(store::make_store_factory(database_.url())) {}
  std::string put(std::string_view bytes) override { return store_.put(bytes); }
  std::string put_attachment(std::string_view bytes) override { return store_.put_attachment(bytes); }
  std::optional<std::string> get(const std::string& id) override { return store_.get(id); }
  bool remove(const std::string& id) override { return store_.remove(id); }

 private:
  TestDatabase database_;
  DbBlobStore store_;
};

INSTANTIATE_TEST_SUITE_P(
    Db, BlobContractTest,
    ::testing::Values(BlobStoreFactory{"SqliteFile", [] { return std::make_unique<SqliteDbBlobStore>(); }},
                      BlobStoreFactory{"Postgres", [] { return std::make_unique<PostgresDbBlobStore>(); }}),
    blob_factory_name);

TEST(DbBlobStore, PoolKeepsAtMostMaxIdleConnections) {
  TempDirectory dir("chatd-db-blob");
  DbBlobStore store(store::make_store_factory("sqlite:" + (dir.path() / "blobs.db").string()), 2);
  EXPECT_EQ(store.idle_connections(), 0u) << "nothing is opened before the first call";
  const std::string id = store.put("pooled");
  EXPECT_EQ(store.idle_connections(), 1u);
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) threads.emplace_back([&] {
    for (int j = 0; j < 20; ++j) EXPECT_EQ(store.get(id), "pooled");
  });
  for (std::thread& t : threads) t.join();
  EXPECT_GE(store.idle_connections(), 1u);
  EXPECT_LE(store.idle_connections(), 2u);
}

TEST(DbBlobStore, MalformedIdsNeverReachTheDatabase) {
  // A factory that fails: any call that reached the database would throw.
  DbBlobStore store([]() -> std::unique_ptr<store::Store> { throw std::runtime_error("no database"); });
  EXPECT_FALSE(store.get("../x").has_value());
  EXPECT_FALSE(store.remove(std::string(64, 'A')));
  EXPECT_THROW(store.get(std::string(64, 'a')), std::runtime_error);
}

TEST(DbBlobStore, IdsMatchTheDirectoryStore) {
  TempDirectory dir("chatd-db-blob");
  DbBlobStore store(store::make_store_factory("sqlite:" + (dir.path() / "blobs.db").string()));
  EXPECT_EQ(store.put("abc"), content_id("abc"));
}

TEST(DbBlobStore, PostgresBlobsAreSharedBetweenStores) {
  // Two replicas, each with its own DbBlobStore on one database.
  TestDatabase database;
  DbBlobStore a(store::make_store_factory(database.url()));
  DbBlobStore b(store::make_store_factory(database.url()));
  const std::string id = a.put(std::string("shared\0bytes", 12));
  EXPECT_EQ(b.get(id), std::string("shared\0bytes", 12));
  EXPECT_TRUE(b.remove(id));
  EXPECT_FALSE(a.get(id).has_value());
}

TEST(DbBlobStore, PostgresPoolRecoversAfterTheServerEndsItsSessions) {
  TestDatabase database;
  DbBlobStore store(store::make_store_factory(database.url()));
  const std::string id = store.put("survives");
  ASSERT_GE(database.admin().terminate_sessions(database.name()), 1);
  // The pooled connection is dead: the first call may fail (unavailable), later ones work.
  try {
    EXPECT_EQ(store.get(id), "survives");
  } catch (const store::StoreError& e) {
    EXPECT_EQ(e.kind, store::StoreError::Kind::unavailable) << e.what();
  }
  EXPECT_EQ(store.get(id), "survives");
  EXPECT_EQ(store.put("after"), content_id("after"));
}

}  // namespace
}  // namespace dchat::blob::contract
