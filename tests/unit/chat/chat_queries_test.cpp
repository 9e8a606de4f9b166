// The chat's store-side steps (chat/chat_queries.hpp) and their typed results, on an in-memory
// SQLite store: each rule a request is refused by, and what an accepted one returns.
#include <gtest/gtest.h>

#include "chat/chat_queries.hpp"
#include "store/sqlite_store.hpp"

namespace {

using namespace dchat;
using chat::ErrorCode;

constexpr int64_t kNow = 1'700'000'000'000;

class ChatQueries : public ::testing::Test {
 protected:
  void SetUp() override { store_.migrate(); }

  store::User user(const std::string& name) { return store_.create_user(name, "h", kNow).value(); }
  store::Room room(const std::string& name, const store::User& member) {
    auto r = store_.ensure_public_room(name, member.id, kNow);
    store_.add_member(r.id, member.id, kNow);
    return r;
  }

  store::SqliteStore store_{":memory:"};
  chat::ChatLimits limits_;
};

TEST_F(ChatQueries, PostingNeedsAnExistingRoomAndMembership) {
  const auto alice = user("alice");
  const auto bob = user("bob");
  const auto lounge = room("lounge", alice);
  auto missing = chat::post_message(store_, alice.id, lounge.id + 100, "hi", "", kNow);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::not_found);
  auto outsider = chat::post_message(store_, bob.id, lounge.id, "hi", "", kNow);
  ASSERT_FALSE(outsider);
  EXPECT_EQ(outsider.error().code, ErrorCode::forbidden);
  EXPECT_FALSE(outsider.error().retry_after);
}

TEST_F(ChatQueries, AResentClientIdIsADuplicateOfTheFirstMessage) {
  const auto alice = user("alice");
  const auto lounge = room("lounge", alice);
  auto first = chat::post_message(store_, alice.id, lounge.id, "hi", "c-1", kNow);
  ASSERT_TRUE(first);
  EXPECT_FALSE(first->duplicate);
  EXPECT_EQ(first->message.seq, 1);
  auto again = chat::post_message(store_, alice.id, lounge.id, "hi", "c-1", kNow);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->message.id, first->message.id);
  // The same key for another room is refused, not answered with the first room's message.
  const auto other = room("other", alice);
  auto reused = chat::post_message(store_, alice.id, other.id, "hi", "c-1", kNow);
  ASSERT_FALSE(reused);
  EXPECT_EQ(reused.error().code, ErrorCode::bad_request);
}

TEST_F(ChatQueries, JoiningByNameCreatesTheRoomAndReturnsItsNewestMessages) {
  const auto alice = user("alice");
  const auto bob = user("bob");
  auto made = chat::join_room(store_, alice.id, {std::nullopt, "Rust"}, limits_, kNow);
  ASSERT_TRUE(made);
  EXPECT_EQ(made->room.room.name, "Rust");
  EXPECT_FALSE(made->room.peer);
  ASSERT_TRUE(chat::post_message(store_, alice.id, made->room.room.id, "first", "", kNow));
  auto joined = chat::join_room(store_, bob.id, {made->room.room.id, std::nullopt}, limits_, kNow);
  ASSERT_TRUE(joined);
  ASSERT_EQ(joined->messages.size(), 1u);
  EXPECT_EQ(joined->messages[0].text, "first");
  EXPECT_TRUE(store_.is_member(made->room.room.id, bob.id));
  auto unknown = chat::join_room(store_, bob.id, {made->room.room.id + 100, std::nullopt}, limits_, kNow);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::not_found);
}

TEST_F(ChatQueries, JoiningIsLimitedByMembershipsAndRoomCreations) {
  const auto alice = user("alice");
  chat::ChatLimits limits;
  limits.max_rooms_per_user = 1;
  ASSERT_TRUE(chat::join_room(store_, alice.id, {std::nullopt, "one"}, limits, kNow));
  auto full = chat::join_room(store_, alice.id, {std::nullopt, "two"}, limits, kNow);
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code, ErrorCode::too_many_rooms);
  limits.max_rooms_per_user = 10;
  limits.room_creations_per_hour = 1;
  auto busy = chat::join_room(store_, alice.id, {std::nullopt, "three"}, limits, kNow);
  ASSERT_FALSE(busy);
  EXPECT_EQ(busy.error().code, ErrorCode::rate_limited);
  EXPECT_EQ(busy.error().retry_after, std::chrono::minutes(10));
}

TEST_F(ChatQueries, DirectConversationsArePrivate) {
  const auto alice = user("alice");
  const auto bob = user("bob");
  const auto carol = user("carol");
  auto opened = chat::open_direct(store_, alice.id, "bob", limits_, kNow);
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->peer_id, bob.id);
  ASSERT_TRUE(opened->opened.room.peer);
  EXPECT_EQ(opened->opened.room.peer->name, "bob");
  ASSERT_TRUE(opened->for_peer.peer);
  EXPECT_EQ(opened->for_peer.peer->name, "alice");
  const int64_t dm = opened->opened.room.room.id;
  auto peek = chat::read_page(store_, carol.id, dm, 0, 50);
  ASSERT_FALSE(peek);
  EXPECT_EQ(peek.error().code, ErrorCode::forbidden);
  auto join = chat::join_room(store_, carol.id, {dm, std::nullopt}, limits_, kNow);
  ASSERT_FALSE(join);
  EXPECT_EQ(join.error().code, ErrorCode::forbidden);
  EXPECT_TRUE(chat::read_page(store_, bob.id, dm, 0, 50));
  EXPECT_EQ(chat::open_direct(store_, alice.id, "nobody", limits_, kNow).error().code, ErrorCode::not_found);
  EXPECT_EQ(chat::open_direct(store_, alice.id, "alice", limits_, kNow).error().code, ErrorCode::bad_request);
}

TEST_F(ChatQueries, LeavingEndsPublicMembershipOnly) {
  const auto alice = user("alice");
  const auto lounge = room("lounge", alice);
  ASSERT_TRUE(chat::leave_room(store_, alice.id, lounge.id));
  EXPECT_FALSE(store_.is_member(lounge.id, alice.id));
  auto opened = chat::open_direct(store_, alice.id, user("bob").name, limits_, kNow);
  ASSERT_TRUE(opened);
  ASSERT_TRUE(chat::leave_room(store_, alice.id, opened->opened.room.room.id));
  EXPECT_TRUE(store_.is_member(opened->opened.room.room.id, alice.id));
  EXPECT_EQ(chat::leave_room(store_, alice.id, lounge.id + 100).error().code, ErrorCode::not_found);
}

TEST_F(ChatQueries, SyncFitsTheBudgetAndListsWhatIsLeft) {
  const auto alice = user("alice");
  const auto bob = user("bob");
  const auto a = room("a", alice);
  const auto b = room("b", alice);
  const auto hidden = room("hidden", bob);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(chat::post_message(store_, alice.id, a.id, "x", "", kNow));
    ASSERT_TRUE(chat::post_message(store_, alice.id, b.id, "y", "", kNow));
  }
  // Everything fits: every room the user is in, none left over; rooms of others are skipped.
  auto all = chat::read_missed(store_, alice.id, {{a.id, 1, std::nullopt}, {hidden.id, 0, std::nullopt}, {b.id, 0, std::nullopt}}, 1u << 20);
  ASSERT_EQ(all.rooms.size(), 2u);
  EXPECT_EQ(all.rooms[0].first, a.id);
  EXPECT_EQ(all.rooms[0].second.size(), 2u);
  EXPECT_EQ(all.rooms[1].second.size(), 3u);
  EXPECT_TRUE(all.more.empty());
  // A budget of one message: the first room is cut short, the second not reached.
  auto tight = chat::read_missed(store_, alice.id, {{a.id, 0, std::nullopt}, {b.id, 0, std::nullopt}}, 1);
  ASSERT_EQ(tight.rooms.size(), 1u);
  EXPECT_EQ(tight.rooms[0].second.size(), 1u);
  EXPECT_EQ(tight.more, (std::vector<int64_t>{a.id, b.id}));
}

TEST_F(ChatQueries, RoomsArePagedWithTheDirectOnesOnTheFirstPage) {
  const auto alice = user("alice");
  const auto first = room("first", alice);
  store_.ensure_public_room("second", 0, kNow);
  ASSERT_TRUE(chat::open_direct(store_, alice.id, user("bob").name, limits_, kNow));
  auto page = chat::list_rooms(store_, alice.id, 0, 1);
  ASSERT_EQ(page.public_rooms.size(), 1u);
  EXPECT_EQ(page.public_rooms[0].first.id, first.id);
  EXPECT_TRUE(page.public_rooms[0].second);
  ASSERT_EQ(page.direct.size(), 1u);
  EXPECT_EQ(page.direct[0].peer->name, "bob");
  ASSERT_EQ(page.next, first.id);
  auto next = chat::list_rooms(store_, alice.id, *page.next, 1);
  ASSERT_EQ(next.public_rooms.size(), 1u);
  EXPECT_FALSE(next.public_rooms[0].second);
  EXPECT_TRUE(next.direct.empty());
  EXPECT_FALSE(next.next);
}

}  // namespace
