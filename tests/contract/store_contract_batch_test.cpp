// The Store contract, part 6: append_messages, message:send for a batch (what the writer's group
// commit hands the store): membership, resends within and across batches, seqs gap-free per
// room, all or nothing, and concurrent batches over the same rooms in opposite orders.
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "store_contract.hpp"
#include "store_test_helpers.hpp"

namespace dchat::store::contract {
namespace {

using Status = AppendOutcome::Status;

AppendRequest send(int64_t room, int64_t author, std::string text, std::string client_id = "", int64_t at = 0) {
  return AppendRequest{room, author, std::move(text), std::move(client_id), at};
}

TEST_P(StoreContract, ABatchNumbersEachRoomInTheOrderOfItsRequests) {
  const User alice = make_user("Alice");
  const User bob = make_user("bob");
  const Room one = public_room_with("one", {alice.id, bob.id});
  const Room two = public_room_with("two", {alice.id, bob.id});
  store().append_message(two.id, bob.id, "before", "", kNow);

  const auto outcomes = store().append_messages({send(one.id, alice.id, "a", "", kNow + 1),
                                                 send(two.id, bob.id, "x", "c-x", kNow + 2),
                                                 send(one.id, bob.id, "b", "", kNow + 3),
                                                 send(one.id, alice.id, "c", "c-c", kNow + 4),
                                                 send(two.id, alice.id, "y", "", kNow + 5)});
  ASSERT_EQ(outcomes.size(), 5u);
  for (const AppendOutcome& o : outcomes) EXPECT_EQ(o.status, Status::stored);
  EXPECT_EQ(outcomes[0].message.seq, 1);
  EXPECT_EQ(outcomes[2].message.seq, 2);
  EXPECT_EQ(outcomes[3].message.seq, 3);
  EXPECT_EQ(outcomes[1].message.seq, 2);
  EXPECT_EQ(outcomes[4].message.seq, 3);
  EXPECT_EQ(outcomes[0].message.author_name, "Alice");
  EXPECT_EQ(outcomes[2].message.author_name, "bob");
  EXPECT_EQ(outcomes[1].message.client_id, "c-x");
  EXPECT_EQ(outcomes[3].message.created_at, kNow + 4);

  // What the answers say is what was stored: ids, seqs, texts.
  for (const Room& r : {one, two}) {
    for (const Message& stored : store().messages_after(r.id, 0, 10)) {
      if (stored.text == "before") continue;
      const auto answer = std::find_if(outcomes.begin(), outcomes.end(),
                                       [&](const AppendOutcome& o) { return o.message.id == stored.id; });
      ASSERT_NE(answer, outcomes.end()) << stored.text;
      EXPECT_EQ(answer->message.seq, stored.seq);
      EXPECT_EQ(answer->message.room_id, stored.room_id);
      EXPECT_EQ(answer->message.text, stored.text);
      EXPECT_EQ(answer->message.author_id, stored.author_id);
    }
  }
  EXPECT_EQ(store().find_room(one.id)->last_seq, 3);
  EXPECT_EQ(store().find_room(two.id)->last_seq, 3);
}

TEST_P(StoreContract, ABatchStoresNothingForNonMembersOrUnknownRoomsAndLeavesNoGap) {
  const User alice = make_user("alice");
  const User bob = make_user("bob");
  const Room open = public_room_with("open", {alice.id});
  const Room closed = public_room_with("closed", {bob.id});

  const auto outcomes = store().append_messages({send(open.id, alice.id, "1"), send(closed.id, alice.id, "no"),
                                                 send(closed.id + open.id + 100, alice.id, "nowhere"),
                                                 send(open.id, bob.id, "not in"), send(open.id, alice.id, "2")});
  ASSERT_EQ(outcomes.size(), 5u);
  EXPECT_EQ(outcomes[0].status, Status::stored);
  EXPECT_EQ(outcomes[1].status, Status::not_member);
  EXPECT_EQ(outcomes[2].status, Status::no_room);
  EXPECT_EQ(outcomes[3].status, Status::not_member);
  EXPECT_EQ(outcomes[4].status, Status::stored);
  EXPECT_EQ(outcomes[4].message.seq, 2);
  EXPECT_EQ(seqs_of(store().messages_after(open.id, 0, 10)), range(1, 2));
  EXPECT_TRUE(store().messages_after(closed.id, 0, 10).empty());
  EXPECT_EQ(store().find_room(closed.id)->last_seq, 0);
}

TEST_P(StoreContract, ResendsInABatchAreDuplicatesOfTheFirstSend) {
  const User alice = make_user("alice");
  const Room room = public_room_with("general", {alice.id});
  const Room other = public_room_with("other", {alice.id});
  const AppendResult earlier = store().append_message(other.id, alice.id, "earlier", "c-old", kNow);

  const auto outcomes = store().append_messages({send(room.id, alice.id, "first", "c-1"),
                                                 send(room.id, alice.id, "again", "c-1"),
                                                 send(room.id, alice.id, "old key", "c-old"),
                                                 send(room.id, alice.id, "second", "c-2")});
  ASSERT_EQ(outcomes.size(), 4u);
  EXPECT_EQ(outcomes[0].status, Status::stored);
  EXPECT_EQ(outcomes[1].status, Status::duplicate);
  EXPECT_EQ(outcomes[1].message.id, outcomes[0].message.id);
  EXPECT_EQ(outcomes[1].message.text, "first");
  EXPECT_EQ(outcomes[2].status, Status::duplicate) << "a key used before, in another room";
  EXPECT_EQ(outcomes[2].message.id, earlier.message.id);
  EXPECT_EQ(outcomes[2].message.room_id, other.id);
  EXPECT_EQ(outcomes[3].status, Status::stored);
  EXPECT_EQ(outcomes[3].message.seq, 2);
  EXPECT_EQ(seqs_of(store().messages_after(room.id, 0, 10)), range(1, 2));

  // A later batch resending both: duplicates, nothing stored.
  const auto later = store().append_messages({send(room.id, alice.id, "x", "c-2"), send(room.id, alice.id, "y", "c-1")});
  EXPECT_EQ(later[0].status, Status::duplicate);
  EXPECT_EQ(later[0].message.id, outcomes[3].message.id);
  EXPECT_EQ(later[1].status, Status::duplicate);
  EXPECT_EQ(later[1].message.id, outcomes[0].message.id);
  EXPECT_EQ(store().find_room(room.id)->last_seq, 2);
}

TEST_P(StoreContract, EmptyAndAllRefusedBatchesStoreNothing) {
  const User alice = make_user("alice");
  const Room room = public_room_with("general", {alice.id});
  const Room closed = public_room_with("closed", {});
  EXPECT_TRUE(store().append_messages({}).empty());

  const AppendResult stored = store().append_message(room.id, alice.id, "hello", "c-1", kNow);
  // Refused first, then a resend: nothing new in the batch. A key refused in one request is
  // still free for the next one (refusals store nothing).
  const auto outcomes = store().append_messages({send(closed.id, alice.id, "no", "c-2"), send(room.id, alice.id, "again", "c-1"),
                                                 send(room.id + closed.id + 100, alice.id, "nowhere", "c-3")});
  EXPECT_EQ(outcomes[0].status, Status::not_member);
  EXPECT_EQ(outcomes[1].status, Status::duplicate);
  EXPECT_EQ(outcomes[1].message.id, stored.message.id);
  EXPECT_EQ(outcomes[2].status, Status::no_room);
  EXPECT_EQ(store().find_room(room.id)->last_seq, 1);
  EXPECT_EQ(store().find_room(closed.id)->last_seq, 0);

  const auto next = store().append_messages({send(closed.id, alice.id, "no", "c-4"), send(room.id, alice.id, "yes", "c-4")});
  EXPECT_EQ(next[0].status, Status::not_member);
  EXPECT_EQ(next[1].status, Status::stored);
  EXPECT_EQ(next[1].message.seq, 2);
}

TEST_P(StoreContract, ABatchInAGroupIsTakenBackWithTheGroup) {
  const User alice = make_user("alice");
  const Room room = public_room_with("general", {alice.id});

  store().begin_group();
  const auto kept = store().append_messages({send(room.id, alice.id, "a"), send(room.id, alice.id, "b")});
  EXPECT_EQ(kept[1].message.seq, 2);
  store().rollback_group();
  EXPECT_TRUE(store().messages_after(room.id, 0, 10).empty());
  EXPECT_EQ(store().find_room(room.id)->last_seq, 0);

  store().begin_group();
  store().append_messages({send(room.id, alice.id, "a")});
  store().append_messages({send(room.id, alice.id, "b")});
  store().commit_group();
  EXPECT_EQ(seqs_of(store().messages_after(room.id, 0, 10)), range(1, 2));
}

TEST_P(StoreContract, ConcurrentBatchesOverTheSameRoomsInOppositeOrdersAreGapFree) {
  if (!db_.shared) GTEST_SKIP() << "every open() of this backend is a new, private database";
  constexpr int kBatches = 60;
  const User alice = make_user("alice");
  const User bob = make_user("bob");
  const Room one = public_room_with("one", {alice.id, bob.id});
  const Room two = public_room_with("two", {alice.id, bob.id});

  // Writers that would lock the two rooms in opposite orders (alice one then two, bob two then
  // one), each in group commits as the writer of a replica does: a deadlock would fail a group
  // (or hang the test).
  const auto errors = on_connections_at_once(2, true, [&](Store& own, int index, std::string& error) {
    const int64_t author = index == 0 ? alice.id : bob.id;
    const int64_t first = index == 0 ? one.id : two.id;
    const int64_t second = index == 0 ? two.id : one.id;
    for (int i = 0; i < kBatches; ++i) {
      const std::string key = std::to_string(index) + "-" + std::to_string(i);
      own.begin_group();
      const auto outcomes = own.append_messages({send(first, author, "a", "a" + key), send(second, author, "b", "b" + key),
                                                 send(first, author, "c", "c" + key)});
      own.commit_group();
      for (const AppendOutcome& o : outcomes)
        if (o.status != Status::stored) error += "not stored; ";
    }
  });
  EXPECT_EQ(errors[0], "");
  EXPECT_EQ(errors[1], "");
  EXPECT_EQ(seqs_of(store().messages_after(one.id, 0, 1000)), range(1, 3 * kBatches));
  EXPECT_EQ(seqs_of(store().messages_after(two.id, 0, 1000)), range(1, 3 * kBatches));
  EXPECT_EQ(store().find_room(one.id)->last_seq, 3 * kBatches);
}

}  // namespace
}  // namespace dchat::store::contract
