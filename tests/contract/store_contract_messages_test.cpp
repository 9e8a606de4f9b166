// The Store contract (see store_contract.hpp), part 3: messages (seqs, idempotent appends,
// history pages).
#include <set>
#include <string>
#include <vector>

#include "store_contract.hpp"
#include "store_test_helpers.hpp"

namespace dchat::store::contract {
namespace {

using Kind = StoreError::Kind;

// ---- messages ----

TEST_P(StoreContract, AppendNumbersEachRoomFromOne) {
  const User alice = store().create_user("Alice", "h", kNow).value();
  const Room one = store().ensure_public_room("one", 0, kNow);
  const Room two = store().ensure_public_room("two", 0, kNow);

  const AppendResult a = store().append_message(one.id, alice.id, "a", "", kNow + 1);
  const AppendResult b = store().append_message(one.id, alice.id, "b", "", kNow + 2);
  const AppendResult x = store().append_message(two.id, alice.id, "x", "", kNow + 3);
  const AppendResult c = store().append_message(one.id, alice.id, "c", "", kNow + 4);
  const AppendResult y = store().append_message(two.id, alice.id, "y", "", kNow + 5);
  EXPECT_EQ(a.message.seq, 1);
  EXPECT_EQ(b.message.seq, 2);
  EXPECT_EQ(c.message.seq, 3);
  EXPECT_EQ(x.message.seq, 1);
  EXPECT_EQ(y.message.seq, 2);
  for (const AppendResult* r : {&a, &b, &c, &x, &y}) {
    EXPECT_FALSE(r->duplicate);
    EXPECT_GT(r->message.id, 0);
    EXPECT_EQ(r->message.author_id, alice.id);
    EXPECT_EQ(r->message.author_name, "Alice");
    EXPECT_EQ(r->message.client_id, "");
  }
  EXPECT_EQ(std::set<int64_t>({a.message.id, b.message.id, c.message.id, x.message.id, y.message.id}).size(), 5u);
  EXPECT_EQ(a.message.room_id, one.id);
  EXPECT_EQ(x.message.room_id, two.id);
  EXPECT_EQ(c.message.text, "c");
  EXPECT_EQ(c.message.created_at, kNow + 4);

  EXPECT_EQ(store().find_room(one.id)->last_seq, 3);
  EXPECT_EQ(store().find_room(two.id)->last_seq, 2);
  EXPECT_EQ(store().ensure_public_room("one", 0, kNow).last_seq, 3);
}

TEST_P(StoreContract, ResendingAClientIdReturnsTheStoredMessage) {
  const User alice = store().create_user("Alice", "h", kNow).value();
  const Room room = store().ensure_public_room("general", 0, kNow);

  const AppendResult first = store().append_message(room.id, alice.id, "hello", "c-1", kNow);
  EXPECT_FALSE(first.duplicate);
  EXPECT_EQ(first.message.client_id, "c-1");

  const AppendResult again = store().append_message(room.id, alice.id, "hello, edited", "c-1", kNow + 10);
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.message.id, first.message.id);
  EXPECT_EQ(again.message.seq, first.message.seq);
  EXPECT_EQ(again.message.room_id, room.id);
  EXPECT_EQ(again.message.text, "hello") << "the stored message, not the resent text";
  EXPECT_EQ(again.message.created_at, kNow);
  EXPECT_EQ(again.message.author_name, "Alice");
  EXPECT_EQ(again.message.client_id, "c-1");

  EXPECT_EQ(store().find_room(room.id)->last_seq, 1) << "a resend uses no seq";
  EXPECT_EQ(store().messages_after(room.id, 0, 10).size(), 1u);

  const AppendResult next = store().append_message(room.id, alice.id, "next", "c-2", kNow + 20);
  EXPECT_FALSE(next.duplicate);
  EXPECT_EQ(next.message.seq, 2) << "no gap after a resend";
}

TEST_P(StoreContract, SameClientIdFromDifferentAuthorsIsDistinct) {
  const User alice = make_user("alice");
  const User bob = make_user("bob");
  const Room room = store().ensure_public_room("general", 0, kNow);
  const AppendResult from_alice = store().append_message(room.id, alice.id, "hi", "c-1", kNow);
  const AppendResult from_bob = store().append_message(room.id, bob.id, "hi", "c-1", kNow);
  EXPECT_FALSE(from_alice.duplicate);
  EXPECT_FALSE(from_bob.duplicate);
  EXPECT_NE(from_alice.message.id, from_bob.message.id);
  EXPECT_EQ(from_bob.message.seq, 2);
  EXPECT_EQ(from_bob.message.author_id, bob.id);
  EXPECT_TRUE(store().append_message(room.id, bob.id, "hi", "c-1", kNow).duplicate);
  EXPECT_EQ(store().messages_after(room.id, 0, 10).size(), 2u);
}

TEST_P(StoreContract, EmptyClientIdNeverDeduplicates) {
  const User alice = make_user("alice");
  const Room room = store().ensure_public_room("general", 0, kNow);
  const AppendResult one = store().append_message(room.id, alice.id, "same", "", kNow);
  const AppendResult two = store().append_message(room.id, alice.id, "same", "", kNow);
  EXPECT_FALSE(one.duplicate);
  EXPECT_FALSE(two.duplicate);
  EXPECT_NE(one.message.id, two.message.id);
  EXPECT_EQ(two.message.seq, 2);
}

TEST_P(StoreContract, AppendToUnknownRoomOrByUnknownAuthorIsNotFound) {
  const User alice = make_user("alice");
  const Room room = store().ensure_public_room("general", 0, kNow);
  EXPECT_EQ(thrown_kind([&] { store().append_message(room.id + 1000, alice.id, "t", "", kNow); }), Kind::not_found);
  EXPECT_EQ(thrown_kind([&] { store().append_message(room.id, alice.id + 1000, "t", "c-9", kNow); }),
            Kind::not_found);
  EXPECT_EQ(store().find_room(room.id)->last_seq, 0) << "a refused append uses no seq";
  EXPECT_EQ(store().append_message(room.id, alice.id, "t", "", kNow).message.seq, 1);
}

TEST_P(StoreContract, MessagesBeforeReturnsTheNewestPageOldestFirst) {
  const User alice = make_user("alice");
  const Room room = store().ensure_public_room("general", 0, kNow);
  for (int i = 1; i <= 10; ++i) store().append_message(room.id, alice.id, "m" + std::to_string(i), "", kNow + i);

  EXPECT_EQ(seqs_of(store().messages_before(room.id, 0, 3)), (std::vector<int64_t>{8, 9, 10}));
  EXPECT_EQ(seqs_of(store().messages_before(room.id, -1, 3)), (std::vector<int64_t>{8, 9, 10}));
  EXPECT_EQ(seqs_of(store().messages_before(room.id, 8, 3)), (std::vector<int64_t>{5, 6, 7}));
  EXPECT_EQ(seqs_of(store().messages_before(room.id, 3, 5)), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(seqs_of(store().messages_before(room.id, 11, 2)), (std::vector<int64_t>{9, 10}));
  EXPECT_EQ(seqs_of(store().messages_before(room.id, 1000, 2)), (std::vector<int64_t>{9, 10}));
  EXPECT_EQ(seqs_of(store().messages_before(room.id, 0, 100)), range(1, 10));
  EXPECT_EQ(seqs_of(store().messages_before(room.id, 10, 9)), range(1, 9));
  EXPECT_TRUE(store().messages_before(room.id, 1, 5).empty());
  EXPECT_TRUE(store().messages_before(room.id, 0, 0).empty());

  for (const Message& m : store().messages_before(room.id, 0, 10)) {
    EXPECT_EQ(m.text, "m" + std::to_string(m.seq));
    EXPECT_EQ(m.created_at, kNow + m.seq);
  }
}

TEST_P(StoreContract, MessagesAfterReturnsOldestFirst) {
  const User alice = make_user("alice");
  const Room room = store().ensure_public_room("general", 0, kNow);
  EXPECT_TRUE(store().messages_after(room.id, 0, 10).empty());
  for (int i = 1; i <= 10; ++i) store().append_message(room.id, alice.id, "m" + std::to_string(i), "", kNow + i);

  EXPECT_EQ(seqs_of(store().messages_after(room.id, 0, 3)), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(seqs_of(store().messages_after(room.id, -5, 2)), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(seqs_of(store().messages_after(room.id, 4, 3)), (std::vector<int64_t>{5, 6, 7}));
  EXPECT_EQ(seqs_of(store().messages_after(room.id, 8, 5)), (std::vector<int64_t>{9, 10}));
  EXPECT_EQ(seqs_of(store().messages_after(room.id, 0, 500)), range(1, 10));
  EXPECT_TRUE(store().messages_after(room.id, 10, 5).empty());
  EXPECT_TRUE(store().messages_after(room.id, 0, 0).empty());
}

TEST_P(StoreContract, HistoryIsPerRoom) {
  const User alice = make_user("alice");
  const Room one = store().ensure_public_room("one", 0, kNow);
  const Room two = store().ensure_public_room("two", 0, kNow);
  for (int i = 0; i < 4; ++i) {
    store().append_message(one.id, alice.id, "one", "", kNow);
    store().append_message(two.id, alice.id, "two", "", kNow);
  }
  for (const Message& m : store().messages_before(one.id, 0, 100)) EXPECT_EQ(m.room_id, one.id);
  for (const Message& m : store().messages_after(two.id, 0, 100)) EXPECT_EQ(m.text, "two");
  EXPECT_EQ(seqs_of(store().messages_after(one.id, 0, 100)), range(1, 4));
  EXPECT_TRUE(store().messages_after(two.id + 1000, 0, 100).empty());
  EXPECT_TRUE(store().messages_before(two.id + 1000, 0, 100).empty());
}

TEST_P(StoreContract, HistoryCarriesEveryFieldAndTheAuthorsName) {
  const User alice = store().create_user("Alice", "h", kNow).value();
  const User bob = store().create_user("Bob", "h", kNow).value();
  const Room room = store().direct_room(alice.id, bob.id, kNow);
  const AppendResult sent = store().append_message(room.id, alice.id, "hi Bob", "c-1", kNow + 7);
  store().append_message(room.id, bob.id, "hi Alice", "", kNow + 8);

  const std::vector<Message> history = store().messages_after(room.id, 0, 10);
  ASSERT_EQ(history.size(), 2u);
  const Message& m = history[0];
  EXPECT_EQ(m.id, sent.message.id);
  EXPECT_EQ(m.room_id, room.id);
  EXPECT_EQ(m.seq, 1);
  EXPECT_EQ(m.author_id, alice.id);
  EXPECT_EQ(m.author_name, "Alice");
  EXPECT_EQ(m.text, "hi Bob");
  EXPECT_EQ(m.created_at, kNow + 7);
  EXPECT_EQ(m.client_id, "c-1");
  EXPECT_EQ(history[1].author_name, "Bob");
  EXPECT_EQ(history[1].client_id, "");
  const std::vector<Message> newest = store().messages_before(room.id, 0, 1);
  ASSERT_EQ(newest.size(), 1u);
  EXPECT_EQ(newest[0].author_name, "Bob");
}

TEST_P(StoreContract, TextIsStoredExactly) {
  const User alice = make_user("alice");
  const Room room = store().ensure_public_room("general", 0, kNow);
  const std::vector<std::string> texts = {
      "plain",
      "quotes ' \" and ; -- and ?1 and %s",
      "'); DROP TABLE messages; --",
      "line\nbreak\ttab",
      "ünïcödé ✓ 😀 中文",
      std::string(4000, 'x'),
  };
  for (const std::string& text : texts) store().append_message(room.id, alice.id, text, "", kNow);
  const std::vector<Message> history = store().messages_after(room.id, 0, 100);
  ASSERT_EQ(history.size(), texts.size());
  for (size_t i = 0; i < texts.size(); ++i) EXPECT_EQ(history[i].text, texts[i]);

  const User odd = store().create_user("o'brien; --", "h", kNow).value();
  EXPECT_EQ(store().find_user_by_name("O'BRIEN; --")->id, odd.id);
}

}  // namespace
}  // namespace dchat::store::contract
