// The Store contract, part 9: mentions. Only members of the room are stored as mentioned (a
// mention of someone who cannot read the room notifies nobody), never the author; @room within
// its member limit; unread mention counts follow read positions; edits replace a message's
// mentions and deletes clear them; members_named serves @-completion.
#include <string>
#include <vector>

#include "store/name_key.hpp"
#include "store_contract.hpp"
#include "store_test_helpers.hpp"

namespace dchat::store::contract {
namespace {

constexpr int64_t kSentAt = 1'700'000'000'000;

MentionRequest naming(std::vector<std::string> names, bool room = false, size_t room_limit = 100) {
  MentionRequest request;
  for (const auto& n : names) request.name_keys.push_back(name_key(n));
  request.room = room;
  request.room_limit = room_limit;
  return request;
}

AppendRequest saying(const Room& room, const User& author, std::string text, MentionRequest mentions = {}) {
  AppendRequest request{room.id, author.id, std::move(text), "", kSentAt};
  request.mentions = std::move(mentions);
  return request;
}

int64_t mention_count_of(Store& s, int64_t user, int64_t room) {
  for (const Room& r : s.rooms_of(user))
    if (r.id == room) return r.mention_count;
  return -1;
}

struct Lounge {
  User alice, bob, carol, outsider;
  Room room;
};

// alice, Bob and carol in "lounge"; outsider not.
Lounge lounge(Store& s, int64_t now) {
  auto user = [&](const std::string& name) { return s.create_user(name, "hash", now).value(); };
  Lounge l{user("alice"), user("Bob"), user("carol"), user("outsider"), s.ensure_public_room("lounge", 0, now)};
  for (const User& u : {l.alice, l.bob, l.carol}) s.add_member(l.room.id, u.id, now);
  return l;
}

TEST_P(StoreContract, MentionsStoreMembersOnlyAndNeverTheAuthor) {
  const Lounge l = lounge(store(), kNow);
  const auto out = store().append_messages({saying(l.room, l.alice, "hi", naming({"bob", "outsider", "alice", "nobody"}))});
  ASSERT_EQ(out.at(0).status, AppendOutcome::Status::stored);
  EXPECT_EQ(out[0].message.mentions.users, (std::vector<int64_t>{l.bob.id}));
  EXPECT_FALSE(out[0].message.mentions.room);
  const Message stored = store().find_message(l.room.id, 1).value();
  EXPECT_EQ(stored.mentions.users, (std::vector<int64_t>{l.bob.id}));
  EXPECT_EQ(store().messages_after(l.room.id, 0, 10).at(0).mentions.users, (std::vector<int64_t>{l.bob.id}));
  EXPECT_EQ(mention_count_of(store(), l.bob.id, l.room.id), 1);
  EXPECT_EQ(store().unread_mentions(l.room.id, l.bob.id), 1);
  EXPECT_EQ(store().unread_mentions(l.room.id, l.carol.id), 0);
  EXPECT_EQ(store().unread_mentions(l.room.id, l.alice.id), 0);
  EXPECT_EQ(store().unread_mentions(l.room.id, l.outsider.id), 0) << "not a member: never mentioned";
  // A message without mentions reads as none.
  store().append_messages({saying(l.room, l.alice, "plain")});
  EXPECT_TRUE(store().find_message(l.room.id, 2)->mentions.empty());
}

TEST_P(StoreContract, RoomMentionsEveryMemberButTheAuthorWithinItsLimit) {
  const Lounge l = lounge(store(), kNow);
  store().append_messages({saying(l.room, l.alice, "all", naming({"carol"}, true, 3))});
  const Message all = store().find_message(l.room.id, 1).value();
  EXPECT_TRUE(all.mentions.room);
  EXPECT_EQ(all.mentions.users, (std::vector<int64_t>{l.carol.id}));
  EXPECT_EQ(store().unread_mentions(l.room.id, l.bob.id), 1);
  EXPECT_EQ(store().unread_mentions(l.room.id, l.carol.id), 1) << "named and @room: one mention";
  EXPECT_EQ(store().unread_mentions(l.room.id, l.alice.id), 0);
  // Over the limit (3 members, limit 2), @room mentions nobody.
  store().append_messages({saying(l.room, l.alice, "all", naming({}, true, 2))});
  EXPECT_FALSE(store().find_message(l.room.id, 2)->mentions.room);
  EXPECT_EQ(store().unread_mentions(l.room.id, l.bob.id), 1);
}

TEST_P(StoreContract, UnreadMentionsFollowTheReadPosition) {
  const Lounge l = lounge(store(), kNow);
  store().append_messages({saying(l.room, l.alice, "1", naming({"bob"})), saying(l.room, l.alice, "2"),
                           saying(l.room, l.alice, "3", naming({"bob"}))});
  EXPECT_EQ(mention_count_of(store(), l.bob.id, l.room.id), 2);
  store().mark_read(l.room.id, l.bob.id, 2);
  EXPECT_EQ(mention_count_of(store(), l.bob.id, l.room.id), 1);
  store().mark_read(l.room.id, l.bob.id, 3);
  EXPECT_EQ(store().unread_mentions(l.room.id, l.bob.id), 0);
}

TEST_P(StoreContract, EditsReplaceMentionsAndDeletesClearThem) {
  const Lounge l = lounge(store(), kNow);
  store().append_messages({saying(l.room, l.alice, "@bob", naming({"bob"})), saying(l.room, l.alice, "@carol", naming({"carol"}))});
  store().edit_message(l.room.id, 1, "@carol", kNow);
  EXPECT_EQ(store().set_mentions(l.room.id, 1, l.alice.id, naming({"carol"})).users, (std::vector<int64_t>{l.carol.id}));
  EXPECT_EQ(store().find_message(l.room.id, 1)->mentions.users, (std::vector<int64_t>{l.carol.id}));
  EXPECT_EQ(store().unread_mentions(l.room.id, l.bob.id), 0);
  EXPECT_EQ(store().unread_mentions(l.room.id, l.carol.id), 2);
  store().delete_message(l.room.id, 2, kNow);
  EXPECT_TRUE(store().find_message(l.room.id, 2)->mentions.empty());
  EXPECT_EQ(store().unread_mentions(l.room.id, l.carol.id), 1);
  EXPECT_EQ(thrown_kind([&] { store().set_mentions(l.room.id, 9, l.alice.id, naming({"bob"})); }),
            StoreError::Kind::not_found);
}

TEST_P(StoreContract, MembersNamedFindsMembersByNamePrefix) {
  const Lounge l = lounge(store(), kNow);
  const User bobby = make_user("bobby");
  store().add_member(l.room.id, bobby.id, kNow);
  auto names = [&](const std::string& prefix, int limit) {
    std::vector<std::string> out;
    for (const User& u : store().members_named(l.room.id, prefix, limit)) out.push_back(u.name);
    return out;
  };
  EXPECT_EQ(names("bo", 10), (std::vector<std::string>{"Bob", "bobby"}));
  EXPECT_EQ(names("bob", 1), (std::vector<std::string>{"Bob"}));
  EXPECT_EQ(names("", 10), (std::vector<std::string>{"alice", "Bob", "bobby", "carol"}));
  EXPECT_EQ(names("out", 10), (std::vector<std::string>{})) << "not a member";
  EXPECT_EQ(names("%", 10), (std::vector<std::string>{})) << "no pattern syntax";
  EXPECT_EQ(names("bo", 0), (std::vector<std::string>{}));
  // Characters beyond ASCII, compared as keys (by character, in byte order on both stores).
  for (const char* name : {"Émile", "émilie", "東京"}) store().add_member(l.room.id, make_user(name).id, kNow);
  EXPECT_EQ(names(name_key("ÉMI"), 10), (std::vector<std::string>{"Émile", "émilie"}));
  EXPECT_EQ(names("東", 10), (std::vector<std::string>{"東京"}));
}

TEST_P(StoreContract, MentionedNamesMayHoldAnyCharacter) {
  const Lounge l = lounge(store(), kNow);
  const User odd = make_user("a\"b\\c,{d}");
  store().add_member(l.room.id, odd.id, kNow);
  const auto out = store().append_messages({saying(l.room, l.alice, "hi", naming({"a\"b\\c,{d}", "Bob"}))});
  EXPECT_EQ(out.at(0).message.mentions.users, (std::vector<int64_t>{l.bob.id, odd.id}));
}

}  // namespace
}  // namespace dchat::store::contract
