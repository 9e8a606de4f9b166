// The Store contract, part 7: changes to stored messages (edits, deletes, reactions), each
// numbered by its room's change counter, gap-free like seq; what a client that holds change N
// reads to catch up (messages_changed_after); replies and their quotes; read positions.
#include <string>
#include <vector>

#include "store_contract.hpp"
#include "store_test_helpers.hpp"

namespace dchat::store::contract {
namespace {

using Status = AppendOutcome::Status;

TEST_P(StoreContract, EditsDeletesAndReactionsTakeTheRoomsNextChangeNumber) {
  const User alice = make_user("alice");
  const Room room = store().ensure_public_room("lounge", 0, kNow);
  store().add_member(room.id, alice.id, kNow);
  store().append_messages({AppendRequest{room.id, alice.id, "one", "", kNow},
                           AppendRequest{room.id, alice.id, "two", "", kNow},
                           AppendRequest{room.id, alice.id, "three", "", kNow}});
  EXPECT_EQ(store().find_room(room.id)->last_change, 0);

  EXPECT_EQ(store().edit_message(room.id, 1, "one, edited", kNow + 10), 1);
  EXPECT_EQ(store().set_reaction(room.id, 3, alice.id, "👍", true, kNow + 11), 2);
  EXPECT_EQ(store().delete_message(room.id, 2, kNow + 12), 3);
  EXPECT_EQ(store().find_room(room.id)->last_change, 3);

  const Message one = store().find_message(room.id, 1).value();
  EXPECT_EQ(one.text, "one, edited");
  EXPECT_EQ(one.edited_at, kNow + 10);
  EXPECT_EQ(one.change, 1);
  EXPECT_EQ(one.deleted_at, 0);
  const Message two = store().find_message(room.id, 2).value();
  EXPECT_EQ(two.text, "");
  EXPECT_EQ(two.deleted_at, kNow + 12);
  EXPECT_EQ(two.author_id, alice.id);
  EXPECT_EQ(two.seq, 2);
  // Seqs do not move: a delete leaves a tombstone.
  EXPECT_EQ(seqs_of(store().messages_after(room.id, 0, 10)), range(1, 3));
  EXPECT_EQ(store().find_room(room.id)->last_seq, 3);
  // A new message takes no change number.
  store().append_messages({AppendRequest{room.id, alice.id, "four", "", kNow}});
  EXPECT_EQ(store().find_message(room.id, 4)->change, 0);
  EXPECT_EQ(store().find_room(room.id)->last_change, 3);
}

TEST_P(StoreContract, ChangeNumbersArePerRoom) {
  const User alice = make_user("alice");
  const Room a = store().ensure_public_room("a", 0, kNow);
  const Room b = store().ensure_public_room("b", 0, kNow);
  for (const Room& r : {a, b}) {
    store().add_member(r.id, alice.id, kNow);
    store().append_messages({AppendRequest{r.id, alice.id, "hi", "", kNow}});
  }
  EXPECT_EQ(store().edit_message(a.id, 1, "x", kNow), 1);
  EXPECT_EQ(store().edit_message(a.id, 1, "y", kNow), 2);
  EXPECT_EQ(store().edit_message(b.id, 1, "z", kNow), 1);
  EXPECT_EQ(store().find_room(a.id)->last_change, 2);
  EXPECT_EQ(store().find_room(b.id)->last_change, 1);
}

TEST_P(StoreContract, MessagesChangedAfterGivesEachChangedMessageOnceAsItIsNow) {
  const User alice = make_user("alice");
  const Room room = store().ensure_public_room("lounge", 0, kNow);
  store().add_member(room.id, alice.id, kNow);
  for (int i = 0; i < 4; ++i) store().append_messages({AppendRequest{room.id, alice.id, "m", "", kNow}});
  store().edit_message(room.id, 2, "first edit", kNow);   // change 1
  store().edit_message(room.id, 4, "edited", kNow);       // change 2
  store().edit_message(room.id, 2, "second edit", kNow);  // change 3

  const auto all = store().messages_changed_after(room.id, 0, 10);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].seq, 4);  // by change: 4 holds change 2, 2 holds change 3
  EXPECT_EQ(all[0].change, 2);
  EXPECT_EQ(all[1].seq, 2);
  EXPECT_EQ(all[1].change, 3);
  EXPECT_EQ(all[1].text, "second edit");
  EXPECT_EQ(seqs_of(store().messages_changed_after(room.id, 2, 10)), std::vector<int64_t>{2});
  EXPECT_TRUE(store().messages_changed_after(room.id, 3, 10).empty());
  EXPECT_EQ(store().messages_changed_after(room.id, 0, 1).size(), 1u);
  EXPECT_TRUE(store().messages_changed_after(room.id, 0, 0).empty());
}

TEST_P(StoreContract, ReactionsAreOnePerUserAndEmojiGroupedInTheOrderFirstUsed) {
  const User alice = make_user("alice");
  const User bob = make_user("bob");
  const Room room = store().ensure_public_room("lounge", 0, kNow);
  store().add_member(room.id, alice.id, kNow);
  store().append_messages({AppendRequest{room.id, alice.id, "hi", "", kNow}});

  EXPECT_EQ(store().set_reaction(room.id, 1, bob.id, "👍", true, kNow + 1), 1);
  EXPECT_EQ(store().set_reaction(room.id, 1, alice.id, "🎉", true, kNow + 2), 2);
  EXPECT_EQ(store().set_reaction(room.id, 1, alice.id, "👍", true, kNow + 3), 3);
  EXPECT_EQ(store().set_reaction(room.id, 1, alice.id, "👍", true, kNow + 4), 0) << "already so: no change";
  EXPECT_EQ(store().set_reaction(room.id, 1, bob.id, "🎉", false, kNow + 5), 0) << "not there: no change";

  Message m = store().find_message(room.id, 1).value();
  ASSERT_EQ(m.reactions.size(), 2u);
  EXPECT_EQ(m.reactions[0].emoji, "👍");
  EXPECT_EQ(m.reactions[0].count, 2);
  ASSERT_EQ(m.reactions[0].users.size(), 2u);
  EXPECT_EQ(m.reactions[0].users[0].name, "bob");
  EXPECT_EQ(m.reactions[0].users[1].id, alice.id);
  EXPECT_EQ(m.reactions[1].emoji, "🎉");
  EXPECT_EQ(m.reactions[1].count, 1);
  EXPECT_EQ(m.change, 3);

  EXPECT_EQ(store().set_reaction(room.id, 1, bob.id, "👍", false, kNow + 6), 4);
  m = store().find_message(room.id, 1).value();
  EXPECT_EQ(m.reactions[0].count, 1);
  // History pages carry reactions too.
  EXPECT_EQ(store().messages_before(room.id, 0, 10).front().reactions.size(), 2u);
  EXPECT_EQ(store().messages_after(room.id, 0, 10).front().reactions.size(), 2u);

  // A delete takes the reactions with the text.
  store().delete_message(room.id, 1, kNow + 7);
  EXPECT_TRUE(store().find_message(room.id, 1)->reactions.empty());
}

TEST_P(StoreContract, AReactionCountsEveryoneButListsOnlyTheFirstUsers) {
  const User alice = make_user("alice");
  const Room room = store().ensure_public_room("lounge", 0, kNow);
  store().add_member(room.id, alice.id, kNow);
  store().append_messages({AppendRequest{room.id, alice.id, "popular", "", kNow},
                           AppendRequest{room.id, alice.id, "next", "", kNow}});
  std::vector<User> fans;
  for (int i = 0; i < 15; ++i) {
    fans.push_back(make_user("fan" + std::to_string(i)));
    store().set_reaction(room.id, 1, fans.back().id, "👍", true, kNow + i);
  }
  store().set_reaction(room.id, 2, alice.id, "👍", true, kNow);
  const auto page = store().messages_after(room.id, 0, 10);
  ASSERT_EQ(page.size(), 2u);
  ASSERT_EQ(page[0].reactions.size(), 1u);
  EXPECT_EQ(page[0].reactions[0].count, 15);
  ASSERT_EQ(page[0].reactions[0].users.size(), kReactorsShown);
  for (size_t i = 0; i < kReactorsShown; ++i) EXPECT_EQ(page[0].reactions[0].users[i].id, fans[i].id) << i;
  EXPECT_EQ(page[1].reactions.at(0).count, 1) << "counted per message";
}

TEST_P(StoreContract, AReplyQuotesTheFirstLineOfTheOriginalAsItIsNow) {
  const User alice = make_user("alice");
  const User bob = make_user("bob");
  const Room room = store().ensure_public_room("lounge", 0, kNow);
  store().add_member(room.id, alice.id, kNow);
  store().add_member(room.id, bob.id, kNow);
  store().append_messages({AppendRequest{room.id, alice.id, "question?\nmore detail", "", kNow}});

  const auto outcomes = store().append_messages({AppendRequest{room.id, bob.id, "answer", "", kNow, 1}});
  ASSERT_EQ(outcomes[0].status, Status::stored);
  const Message& reply = outcomes[0].message;
  EXPECT_EQ(reply.reply_to, 1);
  ASSERT_TRUE(reply.quote.has_value());
  EXPECT_EQ(reply.quote->seq, 1);
  EXPECT_EQ(reply.quote->author_name, "alice");
  EXPECT_EQ(reply.quote->text, "question?");
  EXPECT_FALSE(reply.quote->deleted);
  EXPECT_FALSE(store().find_message(room.id, 1)->quote.has_value());

  store().edit_message(room.id, 1, "better question?", kNow);
  EXPECT_EQ(store().find_message(room.id, 2)->quote->text, "better question?");
  store().delete_message(room.id, 1, kNow);
  const Message after_delete = store().find_message(room.id, 2).value();
  EXPECT_TRUE(after_delete.quote->deleted);
  EXPECT_EQ(after_delete.quote->text, "");
}

TEST_P(StoreContract, AReplyToNoMessageOfTheRoomStoresNothing) {
  const User alice = make_user("alice");
  const Room room = store().ensure_public_room("lounge", 0, kNow);
  store().add_member(room.id, alice.id, kNow);
  store().append_messages({AppendRequest{room.id, alice.id, "one", "", kNow}});

  const auto outcomes = store().append_messages({AppendRequest{room.id, alice.id, "to nothing", "", kNow, 7},
                                                 AppendRequest{room.id, alice.id, "two", "", kNow},
                                                 AppendRequest{room.id, alice.id, "to two", "", kNow, 2},
                                                 AppendRequest{room.id, alice.id, "negative", "", kNow, -1}});
  EXPECT_EQ(outcomes[0].status, Status::no_reply_target);
  EXPECT_EQ(outcomes[1].status, Status::stored);
  EXPECT_EQ(outcomes[1].message.seq, 2) << "no seq was used by the refused reply";
  EXPECT_EQ(outcomes[2].status, Status::stored) << "an earlier message of the same batch can be answered";
  EXPECT_EQ(outcomes[2].message.seq, 3);
  EXPECT_EQ(outcomes[3].status, Status::no_reply_target);
  EXPECT_EQ(seqs_of(store().messages_after(room.id, 0, 10)), range(1, 3));
}

TEST_P(StoreContract, ChangingAMessageThatDoesNotExistIsNotFoundAndUsesNoChangeNumber) {
  const User alice = make_user("alice");
  const Room room = store().ensure_public_room("lounge", 0, kNow);
  store().add_member(room.id, alice.id, kNow);
  store().append_messages({AppendRequest{room.id, alice.id, "one", "", kNow}});
  EXPECT_EQ(thrown_kind([&] { store().edit_message(room.id, 2, "x", kNow); }), StoreError::Kind::not_found);
  EXPECT_EQ(thrown_kind([&] { store().delete_message(room.id, 2, kNow); }), StoreError::Kind::not_found);
  EXPECT_EQ(thrown_kind([&] { store().set_reaction(room.id, 2, alice.id, "👍", true, kNow); }),
            StoreError::Kind::not_found);
  EXPECT_EQ(thrown_kind([&] { store().edit_message(room.id + 100, 1, "x", kNow); }), StoreError::Kind::not_found);
  EXPECT_FALSE(store().find_message(room.id, 2).has_value());
  EXPECT_EQ(store().find_room(room.id)->last_change, 0);
  EXPECT_EQ(store().edit_message(room.id, 1, "x", kNow), 1);
}

TEST_P(StoreContract, AChangeTakenBackWithItsGroupJobLeavesNoGapInChangeNumbers) {
  const User alice = make_user("alice");
  const Room room = store().ensure_public_room("lounge", 0, kNow);
  store().add_member(room.id, alice.id, kNow);
  store().append_messages({AppendRequest{room.id, alice.id, "one", "", kNow}});
  store().begin_group();
  store().lock_rooms({room.id});
  store().begin_group_job();
  EXPECT_EQ(store().edit_message(room.id, 1, "taken back", kNow), 1);
  store().end_group_job(false);
  store().begin_group_job();
  EXPECT_EQ(store().set_reaction(room.id, 1, alice.id, "👍", true, kNow), 1);
  store().end_group_job(true);
  store().commit_group();
  const Message m = store().find_message(room.id, 1).value();
  EXPECT_EQ(m.text, "one");
  EXPECT_EQ(m.edited_at, 0);
  EXPECT_EQ(m.change, 1);
  EXPECT_EQ(store().find_room(room.id)->last_change, 1);
}

TEST_P(StoreContract, ReadPositionsOnlyMoveForwardAndStopAtTheNewestMessage) {
  const User alice = make_user("alice");
  const User bob = make_user("bob");
  const Room room = store().ensure_public_room("lounge", 0, kNow);
  store().add_member(room.id, alice.id, kNow);
  for (int i = 0; i < 5; ++i) store().append_messages({AppendRequest{room.id, alice.id, "m", "", kNow}});

  EXPECT_EQ(store().mark_read(room.id, alice.id, 3), 3);
  EXPECT_EQ(store().mark_read(room.id, alice.id, 2), 3) << "never back";
  EXPECT_EQ(store().mark_read(room.id, alice.id, 99), 5) << "capped at last_seq";
  EXPECT_EQ(store().mark_read(room.id, bob.id, 4), 0) << "not a member";
  EXPECT_FALSE(store().read_position(room.id, bob.id).has_value());
  EXPECT_EQ(store().read_position(room.id, alice.id), 5);
  // A new member has read what was there before it joined: history is not news.
  store().add_member(room.id, bob.id, kNow);
  EXPECT_EQ(store().read_position(room.id, bob.id), 5);
  const auto rooms = store().rooms_of(alice.id);
  ASSERT_EQ(rooms.size(), 1u);
  EXPECT_EQ(rooms[0].read_seq, 5);
  EXPECT_EQ(rooms[0].last_seq, 5);
  EXPECT_EQ(rooms[0].last_change, 0);
}

}  // namespace
}  // namespace dchat::store::contract
