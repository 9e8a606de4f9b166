// What only PgStore has, beyond the shared contract: writers on several connections at once
// (seq, idempotency, migrations), and recovering by itself when the server ends its sessions.
// Each test runs on a fresh database of the test server (TEST_DATABASE_URL; see
// pg_test_database.hpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <barrier>
#include <chrono>
#include <functional>
#include <latch>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "pg_test_database.hpp"
#include "store/name_key.hpp"
#include "store/pg_store.hpp"
#include "store_test_helpers.hpp"

namespace dchat::store {
namespace {

using contract::PgAdmin;
using contract::TestDatabase;
using Kind = StoreError::Kind;
using contract::expect_old_names_usable_after_version_3;
using contract::is_taken;
using contract::range;
using contract::thrown_kind;
constexpr int64_t kNow = 1'700'000'000'000;

// Takes schema v8 (attachments), v7 (mentions), v6 (search) and v5 (edits, deletes, replies, reactions, read positions) out of a migrated
// database, so it looks like one a release before issue #13 wrote (dropping a column drops its
// index).
void revert_version_5(PgAdmin& direct) {
  direct.rows("DROP TABLE attachments");
  direct.rows("ALTER TABLE messages DROP COLUMN attachments");
  direct.rows("DELETE FROM schema_migrations WHERE version = 8");
  direct.rows("DROP TABLE mentions");
  direct.rows("DROP INDEX users_by_name_key_c");
  direct.rows("ALTER TABLE messages DROP COLUMN mentions");
  direct.rows("DELETE FROM schema_migrations WHERE version = 7");
  direct.rows("ALTER TABLE messages DROP COLUMN search");
  direct.rows("DELETE FROM schema_migrations WHERE version = 6");
  direct.rows("DROP TABLE reactions");
  for (const char* column : {"rooms DROP COLUMN last_change", "messages DROP COLUMN reply_to",
                             "messages DROP COLUMN edited_at", "messages DROP COLUMN deleted_at",
                             "messages DROP COLUMN change_seq", "room_members DROP COLUMN read_seq"})
    direct.rows(std::string("ALTER TABLE ") + column);
  direct.rows("DELETE FROM schema_migrations WHERE version = 5");
}

// Takes schema v3 (name skeletons), and the versions after it, out of a migrated database, so it
// looks like one an earlier release wrote (dropping a column drops its index).
void revert_version_3(PgAdmin& direct) {
  revert_version_5(direct);
  direct.rows("DROP TABLE shared_secrets");
  direct.rows("DELETE FROM schema_migrations WHERE version = 4");
  direct.rows("ALTER TABLE users DROP COLUMN name_skeleton");
  direct.rows("ALTER TABLE rooms DROP COLUMN name_skeleton");
  direct.rows("DELETE FROM schema_migrations WHERE version = 3");
}

class PostgresStore : public ::testing::Test {
 protected:
  void SetUp() override {
    database_ = std::make_unique<TestDatabase>();
    store_ = open();
  }
  void TearDown() override {
    store_.reset();
    database_.reset();
  }
  std::unique_ptr<PgStore> open(PgSettings settings = {}) {
    auto store = std::make_unique<PgStore>(database_->url(), settings);
    store->migrate();
    return store;
  }
  PgStore& store() { return *store_; }
  TestDatabase& database() { return *database_; }

  // `threads` threads, each on a connection of its own, run `rounds` rounds in step: every thread
  // starts round i at the same instant (a barrier), so that their writes race. An exception fails
  // the test (naming the thread and round) and the rounds go on, so no thread waits forever.
  void race(int threads, int rounds, const std::function<void(PgStore& own, int thread, int round)>& fn) {
    std::barrier round(threads);
    std::vector<std::thread> running;
    for (int t = 0; t < threads; ++t) {
      running.emplace_back([&, t] {
        std::unique_ptr<PgStore> own;
        try {
          own = open();
        } catch (const std::exception& e) {
          ADD_FAILURE() << e.what();
        }
        for (int i = 0; i < rounds; ++i) {
          round.arrive_and_wait();
          if (!own) continue;
          try {
            fn(*own, t, i);
          } catch (const std::exception& e) {
            ADD_FAILURE() << "thread " << t << " round " << i << ": " << e.what();
          }
        }
      });
    }
    for (std::thread& t : running) t.join();
  }

  std::unique_ptr<TestDatabase> database_;
  std::unique_ptr<PgStore> store_;
};

TEST_F(PostgresStore, ManyThreadsOnTwoConnectionsEachGetGapFreeSeqs) {
  // Four threads share two connections (two store workers' worth, taking turns per call, as the
  // StoreExecutor never does but a pool might) and two more have their own: every append from
  // every connection must get its own seq, 1..N without a hole.
  constexpr int kThreads = 6, kEach = 60;
  const User alice = store().create_user("alice", "h", kNow).value();
  const Room room = store().ensure_public_room("general", 0, kNow);
  std::unique_ptr<PgStore> shared[2] = {open(), open()};
  std::mutex shared_mutex[2];
  std::vector<std::vector<int64_t>> seqs(kThreads);
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      try {
        std::unique_ptr<PgStore> own = t >= 4 ? open() : nullptr;
        start.arrive_and_wait();
        for (int i = 0; i < kEach; ++i) {
          AppendResult r;
          if (own) {
            r = own->append_message(room.id, alice.id, "m", "", kNow);
          } else {
            std::lock_guard lock(shared_mutex[t % 2]);
            r = shared[t % 2]->append_message(room.id, alice.id, "m", "", kNow);
          }
          seqs[t].push_back(r.message.seq);
        }
      } catch (const std::exception& e) {
        ADD_FAILURE() << "thread " << t << ": " << e.what();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  std::vector<int64_t> all;
  for (const auto& s : seqs) {
    EXPECT_TRUE(std::is_sorted(s.begin(), s.end()));
    all.insert(all.end(), s.begin(), s.end());
  }
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, range(1, kThreads * kEach));
  EXPECT_EQ(store().find_room(room.id)->last_seq, kThreads * kEach);
  PgAdmin direct(database().url());
  EXPECT_EQ(direct.scalar("SELECT count(DISTINCT seq) || '/' || count(*) || '/' || max(seq) FROM messages"),
            std::to_string(kThreads * kEach) + "/" + std::to_string(kThreads * kEach) + "/" +
                std::to_string(kThreads * kEach));
}

TEST_F(PostgresStore, RacingAppendsWithTheSameClientIdStoreOneMessage) {
  constexpr int kThreads = 4, kMessages = 40;
  const User alice = store().create_user("alice", "h", kNow).value();
  const Room room = store().ensure_public_room("general", 0, kNow);
  std::vector<std::vector<AppendResult>> results(kThreads);
  // Every thread sends message i at the same instant.
  race(kThreads, kMessages, [&](PgStore& own, int t, int i) {
    results[t].push_back(own.append_message(room.id, alice.id, "m" + std::to_string(i), "c-" + std::to_string(i), kNow));
  });
  for (int t = 0; t < kThreads; ++t) ASSERT_EQ(results[t].size(), static_cast<size_t>(kMessages));
  for (int i = 0; i < kMessages; ++i) {
    int stored = 0;
    for (int t = 0; t < kThreads; ++t) {
      stored += results[t][i].duplicate ? 0 : 1;
      EXPECT_EQ(results[t][i].message.id, results[0][i].message.id) << "c-" << i;
      EXPECT_EQ(results[t][i].message.seq, results[0][i].message.seq) << "c-" << i;
      EXPECT_EQ(results[t][i].message.text, "m" + std::to_string(i));
    }
    EXPECT_EQ(stored, 1) << "c-" << i << " stored exactly once";
  }
  // The losers' seq bumps were rolled back: no holes.
  std::vector<int64_t> seqs;
  for (const Message& m : store().messages_after(room.id, 0, 1000)) seqs.push_back(m.seq);
  EXPECT_EQ(seqs, range(1, kMessages));
  EXPECT_EQ(store().find_room(room.id)->last_seq, kMessages);
}

TEST_F(PostgresStore, ABatchWhoseResendIsStoredMeanwhileIsTakenBackAndTriedAgain) {
  const User alice = store().create_user("alice", "h", kNow).value();
  const Room room = store().ensure_public_room("general", 0, kNow);
  const Room other = store().ensure_public_room("other", 0, kNow);
  const Room third = store().ensure_public_room("third", 0, kNow);
  for (const Room& r : {room, other, third}) store().add_member(r.id, alice.id, kNow);
  // Another connection stores "k" (in another room) and has not committed: the batch's check
  // does not see it, its insert waits for it and then conflicts.
  auto racing = open();
  racing->begin_group();
  const AppendResult first = racing->append_message(other.id, alice.id, "racing", "k", kNow);
  std::vector<AppendOutcome> outcomes;
  std::thread batch([&] {
    try {
      // In a group, as the writer runs it, rooms out of id order.
      store().begin_group();
      outcomes = store().append_messages({AppendRequest{third.id, alice.id, "third", "", kNow},
                                          AppendRequest{room.id, alice.id, "before", "", kNow},
                                          AppendRequest{room.id, alice.id, "resent", "k", kNow},
                                          AppendRequest{room.id, alice.id, "after", "j", kNow}});
      store().commit_group();
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what();
    }
  });
  // Commits only once the batch's insert waits for the uncommitted "k".
  PgAdmin direct(database().url());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (direct.scalar("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'WITH j AS%'") !=
             "1" &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  racing->commit_group();
  batch.join();
  ASSERT_EQ(outcomes.size(), 4u);
  EXPECT_EQ(outcomes[0].status, AppendOutcome::Status::stored);
  EXPECT_EQ(outcomes[0].message.seq, 1);
  EXPECT_EQ(outcomes[1].status, AppendOutcome::Status::stored);
  EXPECT_EQ(outcomes[2].status, AppendOutcome::Status::duplicate);
  EXPECT_EQ(outcomes[2].message.id, first.message.id);
  EXPECT_EQ(outcomes[3].status, AppendOutcome::Status::stored);
  EXPECT_EQ(outcomes[3].message.seq, 2) << "the taken-back seqs were not lost";
  std::vector<int64_t> seqs;
  for (const Message& m : store().messages_after(room.id, 0, 10)) seqs.push_back(m.seq);
  EXPECT_EQ(seqs, range(1, 2));
  EXPECT_EQ(store().find_room(third.id)->last_seq, 1);
}

TEST_F(PostgresStore, RacingBatchesWithTheSameClientIdsStoreEachOnce) {
  constexpr int kThreads = 4, kBatches = 30;
  const User alice = store().create_user("alice", "h", kNow).value();
  const Room room = store().ensure_public_room("general", 0, kNow);
  const Room other = store().ensure_public_room("other", 0, kNow);
  store().add_member(room.id, alice.id, kNow);
  store().add_member(other.id, alice.id, kNow);
  std::vector<std::vector<AppendOutcome>> results(kThreads);
  // Every thread sends batch i at the same instant; half of them name the rooms in the other order.
  race(kThreads, kBatches, [&](PgStore& own, int t, int i) {
    const std::string n = std::to_string(i);
    const Room& one = t % 2 == 0 ? room : other;
    const Room& two = t % 2 == 0 ? other : room;
    own.begin_group();
    auto outcomes = own.append_messages(
        {AppendRequest{one.id, alice.id, "a" + n, "a" + n, kNow}, AppendRequest{two.id, alice.id, "b" + n, "b" + n, kNow}});
    own.commit_group();
    results[t].insert(results[t].end(), outcomes.begin(), outcomes.end());
  });
  for (int t = 0; t < kThreads; ++t) ASSERT_EQ(results[t].size(), static_cast<size_t>(2 * kBatches));
  for (size_t i = 0; i < results[0].size(); ++i) {
    int stored = 0;
    for (int t = 0; t < kThreads; ++t) {
      stored += results[t][i].status == AppendOutcome::Status::stored ? 1 : 0;
      EXPECT_EQ(results[t][i].message.id, results[0][i].message.id) << i;
      EXPECT_EQ(results[t][i].message.seq, results[0][i].message.seq) << i;
    }
    EXPECT_EQ(stored, 1) << "request " << i << " stored exactly once";
  }
  // Which room a key landed in depends on which thread won; every room stays gap-free.
  size_t total = 0;
  for (const Room& r : {room, other}) {
    std::vector<int64_t> seqs;
    for (const Message& m : store().messages_after(r.id, 0, 1000)) seqs.push_back(m.seq);
    EXPECT_EQ(seqs, range(1, static_cast<int64_t>(seqs.size())));
    total += seqs.size();
  }
  EXPECT_EQ(total, static_cast<size_t>(2 * kBatches));
}

TEST_F(PostgresStore, AFailedInsertRollsTheSeqBack) {
  const User alice = store().create_user("alice", "h", kNow).value();
  const Room room = store().ensure_public_room("general", 0, kNow);
  EXPECT_EQ(store().append_message(room.id, alice.id, "one", "", kNow).message.seq, 1);
  // PostgreSQL text cannot hold NUL: the insert fails after the seq was bumped. The text must be
  // refused (not cut at the NUL) and the bump undone.
  EXPECT_EQ(thrown_kind([&] { store().append_message(room.id, alice.id, std::string("a\0b", 3), "c-x", kNow); }),
            Kind::unavailable);
  EXPECT_EQ(store().append_message(room.id, alice.id, "two", "c-x", kNow).message.seq, 2);
  EXPECT_EQ(store().find_room(room.id)->last_seq, 2);
}

TEST_F(PostgresStore, RecoversAfterTheServerEndsTheSession) {
  const User alice = store().create_user("alice", "h", kNow).value();
  const Room room = store().ensure_public_room("general", 0, kNow);
  const int old_pid = store().backend_pid();
  for (int round = 0; round < 3; ++round) {
    ASSERT_GE(database().admin().terminate_sessions(database().name()), 1);
    // The first call after the kill finds the connection dead: it throws unavailable with a
    // clear message (or, had libpq already noticed, reconnects and succeeds).
    try {
      store().append_message(room.id, alice.id, "during " + std::to_string(round), "", kNow);
    } catch (const StoreError& e) {
      RecordProperty("first_call_after_kill_" + std::to_string(round), e.what());
      EXPECT_EQ(e.kind, Kind::unavailable);
      EXPECT_NE(std::string(e.what()).find("connection"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("reconnect"), std::string::npos) << e.what();
    }
    // The next call reconnects by itself: no new store object, no restart.
    const AppendResult r = store().append_message(room.id, alice.id, "after " + std::to_string(round), "", kNow);
    EXPECT_FALSE(r.duplicate);
    EXPECT_EQ(store().find_user(alice.id)->name, "alice");
  }
  EXPECT_NE(store().backend_pid(), old_pid);
  // Whatever happened to the calls that failed, the seqs are still gap-free.
  std::vector<int64_t> seqs;
  for (const Message& m : store().messages_after(room.id, 0, 100)) seqs.push_back(m.seq);
  EXPECT_EQ(seqs, range(1, store().find_room(room.id)->last_seq));
}

TEST_F(PostgresStore, UnreachableServerIsUnavailableAndHidesThePassword) {
  const auto started = std::chrono::steady_clock::now();
  try {
    PgStore unreachable("postgres://chat:s3cret@127.0.0.1:1/chat");
    FAIL() << "connected to port 1?";
  } catch (const StoreError& e) {
    EXPECT_EQ(e.kind, Kind::unavailable);
    const std::string what = e.what();
    EXPECT_NE(what.find("cannot connect"), std::string::npos) << what;
    EXPECT_EQ(what.find("s3cret"), std::string::npos) << what;
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

TEST_F(PostgresStore, StatementTimeoutBoundsAWaitForALockedRoom) {
  const User alice = store().create_user("alice", "h", kNow).value();
  const Room room = store().ensure_public_room("general", 0, kNow);
  PgSettings quick;
  quick.statement_timeout = std::chrono::milliseconds(300);
  std::unique_ptr<PgStore> impatient = open(quick);
  // Another session holds the room's row lock (a stuck writer).
  PgAdmin locker(database().url());
  locker.rows("BEGIN");
  locker.rows("SELECT last_seq FROM rooms WHERE id = $1 FOR UPDATE", {std::to_string(room.id)});
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(thrown_kind([&] { impatient->append_message(room.id, alice.id, "stuck", "", kNow); }), Kind::unavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  locker.rows("ROLLBACK");
  // Same connection, usable again, and the timed-out append left no hole.
  EXPECT_EQ(impatient->append_message(room.id, alice.id, "free", "", kNow).message.seq, 1);
}

TEST_F(PostgresStore, ConcurrentMigrateFromManyConnectionsIsSafe) {
  // A second, empty database, so that every connection races to create the schema.
  TestDatabase fresh;
  constexpr int kConnections = 6;
  std::latch start(kConnections);
  std::vector<std::string> errors(kConnections);
  std::vector<std::thread> threads;
  for (int i = 0; i < kConnections; ++i) {
    threads.emplace_back([&, i] {
      try {
        PgStore own(fresh.url());
        start.arrive_and_wait();
        own.migrate();
        own.migrate();
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (const std::string& e : errors) EXPECT_EQ(e, "");
  PgAdmin direct(fresh.url());
  EXPECT_EQ(direct.scalar("SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_migrations"), "1,2,3,4,5,6,7,8");
  PgStore after(fresh.url());
  EXPECT_EQ(after.create_user("bob", "h", kNow).value().name, "bob");
}

TEST_F(PostgresStore, MigrateBringsAnOlderSchemaUpToDate) {
  // A database a release with only version 1 created.
  PgAdmin direct(database().url());
  revert_version_3(direct);
  direct.rows("DROP TABLE blobs");
  direct.rows("DELETE FROM schema_migrations WHERE version = 2");
  store().migrate();
  EXPECT_EQ(direct.scalar("SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_migrations"), "1,2,3,4,5,6,7,8");
  store().put_blob(std::string(64, 'a'), "bytes");
  EXPECT_EQ(store().get_blob(std::string(64, 'a')), "bytes");
}

TEST_F(PostgresStore, BlobsKeepEveryByteAndTheFirstPutWins) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  store().put_blob("id-1", bytes);
  store().put_blob("id-1", "other bytes");  // same id again: kept as it was
  EXPECT_EQ(store().get_blob("id-1"), bytes);
  store().put_blob("empty", "");
  EXPECT_EQ(store().get_blob("empty"), "");
  EXPECT_FALSE(store().get_blob("missing").has_value());
  EXPECT_TRUE(store().delete_blob("id-1"));
  EXPECT_FALSE(store().delete_blob("id-1"));
}

TEST_F(PostgresStore, ValuesNeverBecomeSql) {
  const std::string evil = "x'); DROP TABLE users; --";
  const User user = store().create_user(evil, evil, kNow).value();
  EXPECT_EQ(store().find_credentials(evil)->password_hash, evil);
  store().create_session({evil, user.id, kNow + 1});
  EXPECT_TRUE(store().find_session(evil, kNow).has_value());
  EXPECT_EQ(store().ensure_public_room(evil, user.id, kNow).name, evil);
}

TEST_F(PostgresStore, MigrationToVersion3KeepsEveryExistingNameUsable) {
  // The same data as SqliteStore's test: what an earlier release could hold (look-alikes,
  // invisible characters, compatibility forms; rows 6 and 7 trade keys in the backfill).
  {
    PgAdmin direct(database().url());
    revert_version_3(direct);
    for (const std::string name : {"alice", "\u0430lice", "alice\u200b", "ｆｕｌｌ", "Jose\u0301"}) {
      direct.rows("INSERT INTO users (name, name_key, password_hash, created_at) VALUES ($1, $2, 'h', 1)",
                  {name, name_key(name)});
    }
    direct.rows("INSERT INTO users (name, name_key, password_hash, created_at) VALUES ('Ａ', 'b', 'h', 1), ('Ｂ', 'a', 'h', 1)");
    direct.rows("INSERT INTO rooms (kind, name, name_key, created_at) VALUES ('public', 'general', 'general', 1),"
                " ('public', $1, $1, 1)", {"g\u0435neral"});
    direct.rows("INSERT INTO rooms (kind, name, dm_key, created_at) VALUES ('direct', '', '1:2', 1)");
    direct.rows("INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ('t2', 2, $1)", {std::to_string(kNow + 1000)});
    direct.rows("INSERT INTO room_members (room_id, user_id, joined_at) VALUES (2, 2, 1)");
    direct.rows("UPDATE rooms SET last_seq = 1 WHERE id = 2");
    direct.rows("INSERT INTO messages (room_id, seq, author_id, text, created_at) VALUES (2, 1, 2, 'hi', 1)");
    ASSERT_EQ(direct.scalar("SELECT string_agg(id::text, ',' ORDER BY id) FROM users"), "1,2,3,4,5,6,7");
  }

  std::unique_ptr<PgStore> migrated = open();  // a new connection: none of the old statements
  PgStore& s = *migrated;
  PgAdmin direct(database().url());
  EXPECT_EQ(direct.scalar("SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_migrations"), "1,2,3,4,5,6,7,8");
  expect_old_names_usable_after_version_3(s, kNow);
  // The skeletons: the oldest of each look-alike group keeps its own, the others (and the DM) none.
  EXPECT_EQ(direct.rows("SELECT (name_skeleton IS NULL)::text FROM users WHERE id IN (1, 2, 3) ORDER BY id"),
            (std::vector<std::string>{"false", "true", "true"}));
  EXPECT_EQ(direct.rows("SELECT coalesce(name_skeleton, 'NULL') FROM rooms ORDER BY id"),
            (std::vector<std::string>{"general", "NULL", "NULL"}));
}

}  // namespace
}  // namespace dchat::store
