#pragma once
// The Store contract suite's plug-in point. The suite checks every rule store.hpp states (and the
// few it leaves open that the chat relies on) through the interface only, in eight files by area:
// store_contract_{users,rooms,messages,shared,groups,batch,changes,search}_test.cpp. Each implementation adds a factory file
// that lists its ContractBackends and instantiates the suite with them:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, StoreContract, ::testing::ValuesIn(sqlite_backends()),
//                            dchat::store::contract::backend_name);
//
// A backend makes one empty database per test and hands back the factory that opens Store
// objects on it, so the same tests run unchanged against SQLite now and PostgreSQL later.
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <initializer_list>
#include <memory>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "store/store.hpp"

namespace dchat::store::contract {

using StoreFactory = std::function<std::unique_ptr<Store>()>;

// One empty database, for one test.
struct ContractDatabase {
  // Each call opens a new Store (its own connection) on this database; migrate() is not called.
  // Called from several threads at once by the concurrency tests. Left empty when the backend is
  // not available here (no database server running): the tests then skip instead of failing.
  StoreFactory open;
  // True when every open() reaches the same data (a file, a server). False for databases private
  // to one connection (SQLite ":memory:"): the reopen and multi-connection tests then skip.
  bool shared = false;
  // Runs after the test, once every Store is destroyed: delete files, drop the schema.
  std::function<void()> drop;
};

struct ContractBackend {
  std::string name;  // test-name suffix: letters, digits and '_' only
  std::function<ContractDatabase()> new_database;
};

inline void PrintTo(const ContractBackend& backend, std::ostream* out) { *out << backend.name; }

inline std::string backend_name(const ::testing::TestParamInfo<ContractBackend>& info) {
  return info.param.name;
}

class StoreContract : public ::testing::TestWithParam<ContractBackend> {
 protected:
  static constexpr int64_t kNow = 1'700'000'000'000;  // ms since the epoch (Nov 2023)

  void SetUp() override {
    db_ = GetParam().new_database();
    if (!db_.open) GTEST_SKIP() << GetParam().name << " is not available here";
    store_ = open_migrated();
  }

  void TearDown() override {
    store_.reset();
    if (db_.drop) db_.drop();
  }

  std::unique_ptr<Store> open_migrated() {
    std::unique_ptr<Store> store = db_.open();
    store->migrate();
    return store;
  }

  Store& store() { return *store_; }

  User make_user(const std::string& name) { return store_->create_user(name, "hash-of-" + name, kNow).value(); }

  // Runs fn(own, index, error) on `connections` threads at once, each on a connection of its own
  // (migrated first when `migrate`, as a replica starting then would; otherwise as one already
  // running), all calling fn at the same moment. Returns each thread's `error`: what fn noted in
  // it, or the exception that ended the thread ("" when none). A thread that fails does not leave
  // the others waiting.
  std::vector<std::string> on_connections_at_once(int connections, bool migrate,
                                                  const std::function<void(Store& own, int index, std::string& error)>& fn) {
    std::vector<std::string> errors(static_cast<size_t>(connections));
    std::atomic<int> ready{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < connections; ++i) {
      threads.emplace_back([&, i] {
        try {
          std::unique_ptr<Store> own = migrate ? open_migrated() : db_.open();
          ready.fetch_add(1);
          while (ready.load() < connections) std::this_thread::yield();
          fn(*own, i, errors[static_cast<size_t>(i)]);
        } catch (const std::exception& e) {
          errors[static_cast<size_t>(i)] = e.what();
          ready.fetch_add(connections);
        }
      });
    }
    for (std::thread& t : threads) t.join();
    return errors;
  }

  // A public room (as room:join makes one: no creator, at kNow) with these users as members.
  Room public_room_with(const std::string& name, std::initializer_list<int64_t> member_ids) {
    const Room room = store_->ensure_public_room(name, 0, kNow);
    for (int64_t user_id : member_ids) store_->add_member(room.id, user_id, kNow);
    return room;
  }

  ContractDatabase db_;
  std::unique_ptr<Store> store_;
};

}  // namespace dchat::store::contract
