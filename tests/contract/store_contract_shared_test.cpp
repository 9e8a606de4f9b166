// The Store contract (see store_contract.hpp), part 4: what holds between connections to one
// database: durability, concurrent writers, shared secrets.
#include <algorithm>
#include <set>
#include <string>
#include <vector>
#include <memory>

#include "store_contract.hpp"
#include "store_test_helpers.hpp"

namespace dchat::store::contract {
namespace {

using Kind = StoreError::Kind;

// ---- durability and concurrency (databases shared between connections only) ----

TEST_P(StoreContract, DataSurvivesClosingAndReopening) {
  if (!db_.shared) GTEST_SKIP() << "every open() of this backend is a new, private database";
  const User alice = store().create_user("Alice", "hash-a", kNow).value();
  const User bob = store().create_user("Bob", "hash-b", kNow).value();
  store().set_avatar(alice.id, std::string(64, 'a'), std::string(64, 'b'));
  store().create_session({"token-1", alice.id, kNow + 1000});
  const Room general = store().ensure_public_room("general", 0, kNow);
  store().add_member(general.id, alice.id, kNow);
  const Room dm = store().direct_room(alice.id, bob.id, kNow);
  store().append_message(general.id, alice.id, "one", "c-1", kNow);
  store().append_message(general.id, bob.id, "two", "", kNow);
  store().append_message(dm.id, bob.id, "psst", "", kNow);
  store_.reset();

  store_ = open_migrated();
  EXPECT_EQ(store().find_credentials("alice")->password_hash, "hash-a");
  EXPECT_EQ(store().find_user(alice.id)->avatar, std::string(64, 'a'));
  EXPECT_EQ(store().find_session("token-1", kNow)->user_id, alice.id);
  EXPECT_EQ(store().ensure_public_room("General", 0, kNow).id, general.id);
  EXPECT_EQ(store().direct_room(bob.id, alice.id, kNow).id, dm.id);
  EXPECT_TRUE(store().is_member(general.id, alice.id));
  EXPECT_EQ(ids_of(store().rooms_of(alice.id)), (std::set<int64_t>{general.id, dm.id}));
  EXPECT_EQ(store().find_room(general.id)->last_seq, 2);
  const std::vector<Message> history = store().messages_after(general.id, 0, 10);
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].text, "one");
  EXPECT_EQ(history[1].author_name, "Bob");
  EXPECT_TRUE(is_taken(store().create_user("ALICE", "h", kNow)));

  EXPECT_TRUE(store().append_message(general.id, alice.id, "one", "c-1", kNow).duplicate);
  EXPECT_EQ(store().append_message(general.id, alice.id, "three", "", kNow).message.seq, 3);
}

TEST_P(StoreContract, ConcurrentAppendsFromTwoConnectionsAreGapFree) {
  if (!db_.shared) GTEST_SKIP() << "every open() of this backend is a new, private database";
  constexpr int kPerThread = 200;
  const User alice = make_user("alice");
  const User bob = make_user("bob");
  const Room room = store().ensure_public_room("general", 0, kNow);

  std::vector<int64_t> seqs[2];
  // Each thread has its own connection, as each store worker thread would; both migrate, as two
  // processes starting together would.
  const auto errors = on_connections_at_once(2, true, [&](Store& own, int index, std::string& error) {
    const int64_t author = index == 0 ? alice.id : bob.id;
    for (int i = 0; i < kPerThread; ++i) {
      const AppendResult r = own.append_message(room.id, author, "t" + std::to_string(i), "", kNow + i);
      if (r.duplicate) error += "unexpected duplicate; ";
      seqs[index].push_back(r.message.seq);
    }
  });
  EXPECT_EQ(errors[0], "");
  EXPECT_EQ(errors[1], "");

  for (const std::vector<int64_t>& own : seqs) {
    EXPECT_TRUE(std::is_sorted(own.begin(), own.end())) << "one connection's seqs only grow";
  }
  std::vector<int64_t> all = seqs[0];
  all.insert(all.end(), seqs[1].begin(), seqs[1].end());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, range(1, 2 * kPerThread)) << "every seq handed out exactly once";

  const std::vector<Message> history = store().messages_after(room.id, 0, 10 * kPerThread);
  EXPECT_EQ(seqs_of(history), range(1, 2 * kPerThread));
  EXPECT_EQ(store().find_room(room.id)->last_seq, 2 * kPerThread);
  size_t by_alice = 0;
  for (const Message& m : history) by_alice += m.author_id == alice.id ? 1 : 0;
  EXPECT_EQ(by_alice, static_cast<size_t>(kPerThread));
}

TEST_P(StoreContract, ConcurrentResendsStoreEachClientIdOnce) {
  if (!db_.shared) GTEST_SKIP() << "every open() of this backend is a new, private database";
  constexpr int kMessages = 100;
  const User alice = make_user("alice");
  const Room room = store().ensure_public_room("general", 0, kNow);

  // Two tabs (or a retry racing the original) sending the same messages with the same keys.
  std::vector<AppendResult> results[2];
  const auto errors = on_connections_at_once(2, false, [&](Store& own, int index, std::string&) {
    for (int i = 0; i < kMessages; ++i) {
      results[index].push_back(
          own.append_message(room.id, alice.id, "m" + std::to_string(i), "c-" + std::to_string(i), kNow));
    }
  });
  ASSERT_EQ(errors[0], "");
  ASSERT_EQ(errors[1], "");
  ASSERT_EQ(results[0].size(), static_cast<size_t>(kMessages));
  ASSERT_EQ(results[1].size(), static_cast<size_t>(kMessages));

  int stored = 0;
  for (int i = 0; i < kMessages; ++i) {
    const AppendResult& a = results[0][i];
    const AppendResult& b = results[1][i];
    EXPECT_EQ(a.message.id, b.message.id) << "c-" << i;
    EXPECT_EQ(a.message.seq, b.message.seq) << "c-" << i;
    EXPECT_NE(a.duplicate, b.duplicate) << "exactly one of the two stored c-" << i;
    stored += (a.duplicate ? 0 : 1) + (b.duplicate ? 0 : 1);
  }
  EXPECT_EQ(stored, kMessages);
  EXPECT_EQ(seqs_of(store().messages_after(room.id, 0, 1000)), range(1, kMessages));
}

TEST_P(StoreContract, ConcurrentEnsureOfLookAlikeNamesMakesOneRoom) {
  if (!db_.shared) GTEST_SKIP() << "every open() of this backend is a new, private database";
  // Two connections create "general" and a look-alike at the same moment, many times over: each
  // pair ends as one room, whichever spelling won.
  constexpr int kRounds = 20;
  std::vector<int64_t> ids[2];
  const auto errors = on_connections_at_once(2, false, [&](Store& own, int index, std::string&) {
    for (int i = 0; i < kRounds; ++i) {
      const std::string name = (index == 0 ? "room" : "r\u043e\u043em") + std::to_string(i);  // Cyrillic о о
      ids[index].push_back(own.ensure_public_room(name, 0, kNow).id);
    }
  });
  ASSERT_EQ(errors[0], "");
  ASSERT_EQ(errors[1], "");
  EXPECT_EQ(ids[0], ids[1]);
  EXPECT_EQ(store().public_rooms(0, 1000).size(), static_cast<size_t>(kRounds));
}

// ---- shared secrets ----

TEST_P(StoreContract, TheFirstSharedSecretOfferedIsKept) {
  EXPECT_EQ(store().shared_secret("device", "first"), "first");
  EXPECT_EQ(store().shared_secret("device", "second"), "first") << "a later offer reads the stored one";
  EXPECT_EQ(store().shared_secret("other", "x"), "x") << "secrets are per name";
  EXPECT_EQ(store().shared_secret("device", "third"), "first");
  if (db_.shared) {
    // Another replica (connection) starting later gets the same secret.
    std::unique_ptr<Store> second = open_migrated();
    EXPECT_EQ(second->shared_secret("device", "its own"), "first");
  }
}

TEST_P(StoreContract, ReplicasStartingTogetherAgreeOnOneSharedSecret) {
  if (!db_.shared) GTEST_SKIP() << "every open() of this backend is a new, private database";
  constexpr int kReplicas = 4;
  std::vector<std::string> got(kReplicas);
  const auto errors = on_connections_at_once(kReplicas, false, [&](Store& own, int i, std::string&) {
    got[i] = own.shared_secret("device", "offer-" + std::to_string(i));
  });
  for (const std::string& e : errors) ASSERT_EQ(e, "");
  for (const std::string& secret : got) EXPECT_EQ(secret, got[0]);
  EXPECT_TRUE(got[0].starts_with("offer-"));
  EXPECT_EQ(store().shared_secret("device", "late"), got[0]);
}

}  // namespace
}  // namespace dchat::store::contract
