// The Store contract (see store_contract.hpp), part 5: group commits. Several callers' writes in
// one transaction, each caller's own part kept or taken back alone, nothing visible or durable
// before the commit, nothing at all after a rollback.
#include <string>
#include <vector>

#include "store_contract.hpp"
#include "store_test_helpers.hpp"

namespace dchat::store::contract {
namespace {

using Kind = StoreError::Kind;

TEST_P(StoreContract, GroupCommitStoresEveryAppendInOrder) {
  const User alice = make_user("Alice");
  const Room room = store().ensure_public_room("general", 0, kNow);

  store().begin_group();
  std::vector<int64_t> seqs;
  for (int i = 0; i < 5; ++i) {
    store().begin_group_job();
    seqs.push_back(store().append_message(room.id, alice.id, "m" + std::to_string(i), "c-" + std::to_string(i), kNow).message.seq);
    store().end_group_job(true);
  }
  store().commit_group();

  EXPECT_EQ(seqs, range(1, 5));
  const std::vector<Message> stored = store().messages_after(room.id, 0, 10);
  EXPECT_EQ(seqs_of(stored), range(1, 5));
  EXPECT_EQ(stored.back().text, "m4");
  EXPECT_EQ(store().find_room(room.id)->last_seq, 5);
}

TEST_P(StoreContract, AJobTakenBackInAGroupLeavesNoTraceAndNoGap) {
  const User alice = make_user("Alice");
  const Room room = store().ensure_public_room("general", 0, kNow);

  store().begin_group();
  store().begin_group_job();
  store().append_message(room.id, alice.id, "kept", "c-1", kNow);
  store().end_group_job(true);
  // A job that wrote and then failed (its caller threw after the append): all of it goes.
  store().begin_group_job();
  store().append_message(room.id, alice.id, "taken back", "c-2", kNow);
  store().ensure_public_room("made by a failed job", alice.id, kNow);
  store().end_group_job(false);
  // A call that fails inside a job takes back its own part; the job goes on.
  store().begin_group_job();
  EXPECT_EQ(thrown_kind([&] { store().append_message(room.id + 1000, alice.id, "no room", "", kNow); }), Kind::not_found);
  const AppendResult after = store().append_message(room.id, alice.id, "after", "c-3", kNow);
  store().end_group_job(true);
  store().commit_group();

  EXPECT_EQ(after.message.seq, 2);
  const std::vector<Message> stored = store().messages_after(room.id, 0, 10);
  ASSERT_EQ(seqs_of(stored), range(1, 2));
  EXPECT_EQ(stored[0].text, "kept");
  EXPECT_EQ(stored[1].text, "after");
  EXPECT_FALSE(store().find_public_room("made by a failed job"));
  // The taken-back client id is free again: sending it now stores a new message.
  EXPECT_FALSE(store().append_message(room.id, alice.id, "retried", "c-2", kNow).duplicate);
}

TEST_P(StoreContract, ResendingAClientIdInsideAGroupIsADuplicate) {
  const User alice = make_user("Alice");
  const Room room = store().ensure_public_room("general", 0, kNow);

  store().begin_group();
  const AppendResult first = store().append_message(room.id, alice.id, "hello", "c-1", kNow);
  const AppendResult again = store().append_message(room.id, alice.id, "hello", "c-1", kNow);
  store().commit_group();

  EXPECT_FALSE(first.duplicate);
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.message.id, first.message.id);
  EXPECT_EQ(store().find_room(room.id)->last_seq, 1);
}

TEST_P(StoreContract, RolledBackGroupStoresNothing) {
  const User alice = make_user("Alice");
  const Room room = store().ensure_public_room("general", 0, kNow);
  store().append_message(room.id, alice.id, "before", "", kNow);

  store().begin_group();
  store().append_message(room.id, alice.id, "in the group", "c-1", kNow);
  store().ensure_public_room("made in the group", alice.id, kNow);
  store().rollback_group();

  EXPECT_EQ(seqs_of(store().messages_after(room.id, 0, 10)), range(1, 1));
  EXPECT_EQ(store().find_room(room.id)->last_seq, 1);
  EXPECT_FALSE(store().find_public_room("made in the group"));
  // And the store goes on as before, outside any group.
  EXPECT_EQ(store().append_message(room.id, alice.id, "after", "c-1", kNow).message.seq, 2);
}

TEST_P(StoreContract, AGroupThatIsNoLongerOpenTakesNoMoreJobsAndCannotCommit) {
  // What the writer sees when the database ended the transaction by itself (SQLite after
  // SQLITE_FULL) or the connection was lost: the next job is refused (its writes would otherwise
  // commit on their own while the group is answered as failed) and the commit fails, so that
  // nobody is told their write was stored.
  store().begin_group();
  store().rollback_group();
  EXPECT_EQ(thrown_kind([&] { store().begin_group_job(); }), Kind::unavailable);
  EXPECT_EQ(thrown_kind([&] { store().commit_group(); }), Kind::unavailable);
}

TEST_P(StoreContract, AGroupIsInvisibleToOtherConnectionsUntilCommitted) {
  if (!db_.shared) GTEST_SKIP() << "needs a database that a second connection reaches";
  const User alice = make_user("Alice");
  const Room room = store().ensure_public_room("general", 0, kNow);
  std::unique_ptr<Store> other = open_migrated();

  store().begin_group();
  store().append_message(room.id, alice.id, "not yet", "c-1", kNow);
  EXPECT_TRUE(other->messages_after(room.id, 0, 10).empty());
  EXPECT_EQ(other->find_room(room.id)->last_seq, 0);
  store().commit_group();

  EXPECT_EQ(seqs_of(other->messages_after(room.id, 0, 10)), range(1, 1));
}

}  // namespace
}  // namespace dchat::store::contract
