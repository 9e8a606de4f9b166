// make_store_factory (which DATABASE_URL means which Store) and describe_database_url (what may
// be logged of it).
#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>

#include "pg_test_database.hpp"
#include "store/pg_store.hpp"
#include "store/sqlite_store.hpp"
#include "store/store_factory.hpp"
#include "temp_directory.hpp"

namespace dchat::store {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

TEST(StoreFactory, SqliteUrlOpensSqliteStoresOnThatFile) {
  contract::TempDirectory dir("chatd-store-factory");
  const auto factory = make_store_factory("sqlite:" + (dir.path() / "sub" / "chat.db").string());
  std::unique_ptr<Store> first = factory();
  ASSERT_NE(dynamic_cast<SqliteStore*>(first.get()), nullptr);
  first->migrate();
  const User alice = first->create_user("alice", "h", kNow).value();
  std::unique_ptr<Store> second = factory();  // a new connection on the same file
  EXPECT_NE(second.get(), first.get());
  EXPECT_EQ(second->find_user(alice.id)->name, "alice");
}

TEST(StoreFactory, SqliteMemoryUrl) {
  std::unique_ptr<Store> store = make_store_factory("sqlite::memory:")();
  store->migrate();
  EXPECT_EQ(store->create_user("bob", "h", kNow).value().name, "bob");
}

TEST(StoreFactory, OtherUrlsAreRefusedSayingWhatIsAccepted) {
  for (const std::string url : {"", "sqlite:", "mysql://root@localhost/chat", "postgres:/host/db", "chat.db",
                                "SQLITE:chat.db", "redis://localhost"}) {
    try {
      make_store_factory(url);
      ADD_FAILURE() << "accepted " << url;
    } catch (const std::invalid_argument& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("sqlite:PATH"), std::string::npos) << what;
      if (url != "sqlite:") {
        EXPECT_NE(what.find("postgres://"), std::string::npos) << what;
      }
    }
  }
}

TEST(StoreFactory, RefusalDoesNotRepeatThePassword) {
  try {
    make_store_factory("mysql://root:hunter2@localhost/chat");
    ADD_FAILURE() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos) << e.what();
  }
}

TEST(StoreFactory, PostgresUrlsAreAcceptedWithoutConnecting) {
  // Checking the URL opens nothing: the factory connects when called.
  EXPECT_NO_THROW(make_store_factory("postgres://chat:pw@127.0.0.1:1/chat"));
  EXPECT_NO_THROW(make_store_factory("postgresql://chat@127.0.0.1:1/chat?sslmode=disable"));
  EXPECT_THROW(make_store_factory("postgres://chat:pw@127.0.0.1:1/chat")(), StoreError);
}

TEST(StoreFactory, PostgresUrlOpensPgStores) {
  contract::TestDatabase database;
  const auto factory = make_store_factory(database.url());
  std::unique_ptr<Store> first = factory();
  ASSERT_NE(dynamic_cast<PgStore*>(first.get()), nullptr);
  first->migrate();
  const User alice = first->create_user("alice", "h", kNow).value();
  EXPECT_EQ(factory()->find_user(alice.id)->name, "alice");
}

TEST(DescribeDatabaseUrl, HidesPasswords) {
  EXPECT_EQ(describe_database_url("postgres://chat:s3cret@db:5432/chat"), "postgres://chat:***@db:5432/chat");
  EXPECT_EQ(describe_database_url("postgresql://chat:p%40ss@db/chat?sslmode=require"),
            "postgresql://chat:***@db/chat?sslmode=require");
  EXPECT_EQ(describe_database_url("postgres://chat@db/chat?password=s3cret&sslmode=require"),
            "postgres://chat@db/chat?password=***&sslmode=require");
  EXPECT_EQ(describe_database_url("host=db user=chat password=s3cret dbname=chat"),
            "host=db user=chat password=*** dbname=chat");
}

TEST(DescribeDatabaseUrl, KeepsWhatIsNotSecret) {
  EXPECT_EQ(describe_database_url("postgres://chat@db:5432/chat"), "postgres://chat@db:5432/chat");
  EXPECT_EQ(describe_database_url("postgres://db/chat"), "postgres://db/chat");
  EXPECT_EQ(describe_database_url("sqlite:./data/chat.db"), "sqlite:./data/chat.db");
  EXPECT_EQ(describe_database_url("postgres://[::1]:5432/chat"), "postgres://[::1]:5432/chat");
}

}  // namespace
}  // namespace dchat::store
