// change_message (chat/chat_queries.hpp): the rules of message:edit, message:delete and
// reaction:set, and sync's catch-up of changes (read_missed with a change position), on an
// in-memory SQLite store.
#include <gtest/gtest.h>

#include "chat/chat_queries.hpp"
#include "store/sqlite_store.hpp"

namespace {

using namespace dchat;
using chat::ChangeRequest;
using chat::ErrorCode;
using Kind = ChangeRequest::Kind;

constexpr int64_t kNow = 1'700'000'000'000;

class ChatChanges : public ::testing::Test {
 protected:
  void SetUp() override {
    store_.migrate();
    alice_ = store_.create_user("alice", "h", kNow).value();
    bob_ = store_.create_user("bob", "h", kNow).value();
    room_ = store_.ensure_public_room("lounge", alice_.id, kNow);
    store_.add_member(room_.id, alice_.id, kNow);
    store_.add_member(room_.id, bob_.id, kNow);
    seq_ = chat::post_message(store_, alice_.id, room_.id, "hello", "", kNow)->message.seq;
  }

  chat::ChatResult<chat::Changed> change(const store::User& who, Kind kind, std::string text = "", bool on = true,
                                         int64_t at = kNow + 1000) {
    return chat::change_message(store_, who.id, ChangeRequest{kind, room_.id, seq_, std::move(text), on}, limits_, at);
  }

  store::SqliteStore store_{":memory:"};
  chat::ChatLimits limits_;
  store::User alice_, bob_;
  store::Room room_;
  int64_t seq_ = 0;
};

TEST_F(ChatChanges, TheAuthorEditsWithinTheWindowOnly) {
  auto edited = change(alice_, Kind::edit, "hello!");
  ASSERT_TRUE(edited) << edited.error().message;
  EXPECT_EQ(edited->change, 1);
  EXPECT_EQ(edited->message.text, "hello!");
  EXPECT_EQ(edited->message.edited_at, kNow + 1000);

  auto same = change(alice_, Kind::edit, "hello!");
  ASSERT_TRUE(same);
  EXPECT_EQ(same->change, 0) << "the same text changes nothing";

  const int64_t late = kNow + std::chrono::milliseconds(limits_.edit_window).count() + 1;
  auto too_late = change(alice_, Kind::edit, "again", true, late);
  ASSERT_FALSE(too_late);
  EXPECT_EQ(too_late.error().code, ErrorCode::edit_window_passed);
  EXPECT_TRUE(change(alice_, Kind::remove, "", true, late)) << "deleting has no window";
}

TEST_F(ChatChanges, OthersCanReactButNotEditOrDelete) {
  for (Kind kind : {Kind::edit, Kind::remove}) {
    auto refused = change(bob_, kind, "mine now");
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::forbidden);
  }
  EXPECT_EQ(store_.find_room(room_.id)->last_change, 0);
  auto reacted = change(bob_, Kind::react, "👍");
  ASSERT_TRUE(reacted);
  EXPECT_EQ(reacted->change, 1);
  EXPECT_EQ(reacted->message.reactions.at(0).users.at(0).id, bob_.id);
}

TEST_F(ChatChanges, OutsidersAreRefusedTheSameWayWhetherTheMessageExistsOrNot) {
  const auto eve = store_.create_user("eve", "h", kNow).value();
  auto existing = change(eve, Kind::react, "👍");
  auto missing = chat::change_message(store_, eve.id, ChangeRequest{Kind::react, room_.id, seq_ + 9, "👍", true},
                                      limits_, kNow);
  ASSERT_FALSE(existing);
  ASSERT_FALSE(missing);
  EXPECT_EQ(existing.error().code, ErrorCode::forbidden);
  EXPECT_EQ(missing.error().code, ErrorCode::forbidden);
  EXPECT_EQ(existing.error().message, missing.error().message);
  auto no_room = chat::change_message(store_, alice_.id, ChangeRequest{Kind::edit, room_.id + 9, 1, "x", true},
                                      limits_, kNow);
  ASSERT_FALSE(no_room);
  EXPECT_EQ(no_room.error().code, ErrorCode::not_found);
}

TEST_F(ChatChanges, ADeletedMessageStaysDeleted) {
  auto deleted = change(alice_, Kind::remove);
  ASSERT_TRUE(deleted);
  EXPECT_EQ(deleted->change, 1);
  EXPECT_EQ(deleted->message.text, "");
  auto again = change(alice_, Kind::remove);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->change, 0);
  for (Kind kind : {Kind::edit, Kind::react}) {
    auto refused = change(alice_, kind, kind == Kind::edit ? "back" : "👍");
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::not_found);
  }
}

TEST_F(ChatChanges, AMessageTakesAtMostTheConfiguredNumberOfDifferentEmoji) {
  limits_.max_reaction_kinds = 2;
  ASSERT_TRUE(change(alice_, Kind::react, "👍"));
  ASSERT_TRUE(change(alice_, Kind::react, "🎉"));
  auto third = change(alice_, Kind::react, "🚀");
  ASSERT_FALSE(third);
  EXPECT_EQ(third.error().code, ErrorCode::too_many_reactions);
  EXPECT_TRUE(change(bob_, Kind::react, "🎉")) << "one more user on a known emoji is fine";
  EXPECT_TRUE(change(alice_, Kind::react, "👍", false)) << "taking one back is always possible";
}

TEST_F(ChatChanges, SyncBringsEachChangedMessageOnceAndOnlyToMembers) {
  ASSERT_TRUE(change(alice_, Kind::edit, "one"));
  ASSERT_TRUE(change(bob_, Kind::react, "👍"));
  ASSERT_TRUE(change(alice_, Kind::edit, "two"));
  const auto missed = chat::read_missed(store_, bob_.id, {{room_.id, seq_, 1}}, 1u << 20);
  ASSERT_EQ(missed.changed.size(), 1u);
  ASSERT_EQ(missed.changed[0].second.size(), 1u);
  EXPECT_EQ(missed.changed[0].second[0].change, 3);
  EXPECT_EQ(missed.changed[0].second[0].text, "two");
  EXPECT_TRUE(missed.more.empty());
  // Old clients: no change position, no changed list.
  EXPECT_TRUE(chat::read_missed(store_, bob_.id, {{room_.id, seq_, std::nullopt}}, 1u << 20).changed.empty());
  const auto eve = store_.create_user("eve", "h", kNow).value();
  const auto outsider = chat::read_missed(store_, eve.id, {{room_.id, 0, 0}}, 1u << 20);
  EXPECT_TRUE(outsider.rooms.empty());
  EXPECT_TRUE(outsider.changed.empty());
  // A budget too small for everything: `more`.
  const auto tight = chat::read_missed(store_, bob_.id, {{room_.id, 0, 0}}, 1);
  EXPECT_EQ(tight.more, std::vector<int64_t>{room_.id});
}

}  // namespace
