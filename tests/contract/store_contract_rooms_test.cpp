// The Store contract (see store_contract.hpp), part 2: public rooms, direct rooms, membership.
#include <algorithm>
#include <optional>
#include <set>
#include <vector>

#include "store_contract.hpp"
#include "store_test_helpers.hpp"

namespace dchat::store::contract {
namespace {

using Kind = StoreError::Kind;

// ---- rooms ----

TEST_P(StoreContract, EnsurePublicRoomIsIdempotentIgnoringCase) {
  const Room general = store().ensure_public_room("General", 0, kNow);
  EXPECT_GT(general.id, 0);
  EXPECT_EQ(general.kind, RoomKind::public_room);
  EXPECT_EQ(general.name, "General");
  EXPECT_EQ(general.created_by, 0) << "0 stands for the server";
  EXPECT_EQ(general.created_at, kNow);
  EXPECT_EQ(general.last_seq, 0);
  EXPECT_TRUE(general.direct_members.empty());

  for (const char* name : {"General", "general", "GENERAL"}) {
    const Room again = store().ensure_public_room(name, 0, kNow + 5);
    EXPECT_EQ(again.id, general.id) << name;
    EXPECT_EQ(again.name, "General") << "the first spelling stays";
    EXPECT_EQ(again.created_at, kNow);
  }
  EXPECT_EQ(store().public_rooms(0, 100).size(), 1u);
}

TEST_P(StoreContract, EnsurePublicRoomRecordsTheCreator) {
  const User alice = make_user("alice");
  const Room lounge = store().ensure_public_room("Lounge", alice.id, kNow);
  EXPECT_EQ(lounge.created_by, alice.id);
  EXPECT_EQ(store().find_room(lounge.id)->created_by, alice.id);
  EXPECT_EQ(store().ensure_public_room("lounge", 0, kNow).created_by, alice.id);
}

TEST_P(StoreContract, CreatePublicRoomRefusesTakenNamesIgnoringCase) {
  const User alice = make_user("alice");
  const Room rust = store().create_public_room("Rust", alice.id, kNow).value();
  EXPECT_GT(rust.id, 0);
  EXPECT_EQ(rust.kind, RoomKind::public_room);
  EXPECT_EQ(rust.name, "Rust");
  EXPECT_EQ(rust.created_by, alice.id);
  EXPECT_EQ(rust.created_at, kNow);
  EXPECT_EQ(rust.last_seq, 0);

  for (const char* name : {"Rust", "rust", "RUST"}) {
    EXPECT_TRUE(is_taken(store().create_public_room(name, alice.id, kNow))) << name;
  }
  store().ensure_public_room("general", 0, kNow);
  EXPECT_TRUE(is_taken(store().create_public_room("General", alice.id, kNow)));
  EXPECT_EQ(store().ensure_public_room("RUST", 0, kNow).id, rust.id);
  EXPECT_EQ(store().public_rooms(0, 100).size(), 2u);

  const std::optional<Room> found = store().find_room(rust.id);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->name, "Rust");
  EXPECT_EQ(found->kind, RoomKind::public_room);
  EXPECT_EQ(found->created_by, alice.id);
  EXPECT_EQ(found->created_at, kNow);
}

TEST_P(StoreContract, EnsurePublicRoomFindsTheRoomANameLooksLike) {
  const User alice = make_user("alice");
  const Room general = store().ensure_public_room("general", 0, kNow);
  // "gеneral" with a Cyrillic е joins "general" instead of making a second room that looks the same.
  for (const char* look_alike : {"g\u0435neral", "GENERAL", "ｇｅｎｅｒａｌ", "genera1"}) {
    const Room again = store().ensure_public_room(look_alike, alice.id, kNow + 5);
    EXPECT_EQ(again.id, general.id) << look_alike;
    EXPECT_EQ(again.name, "general") << "the existing room, under its own name";
  }
  EXPECT_EQ(store().public_rooms(0, 1000).size(), 1u);
  // Direct rooms have no name to look like anything: any number of them coexist.
  const User bob = make_user("bob");
  const User carol = make_user("carol");
  EXPECT_NE(store().direct_room(alice.id, bob.id, kNow).id, store().direct_room(alice.id, carol.id, kNow).id);
}

TEST_P(StoreContract, CreatePublicRoomRefusesLookAlikes) {
  const User alice = make_user("alice");
  const Room paypal = store().create_public_room("paypal", alice.id, kNow).value();
  EXPECT_TRUE(is_taken(store().create_public_room("p\u0430ypal", alice.id, kNow)));
  EXPECT_TRUE(is_taken(store().create_public_room("PAYPAL", alice.id, kNow)));
  EXPECT_EQ(store().ensure_public_room("p\u0430ypal", alice.id, kNow).id, paypal.id);
  EXPECT_TRUE(store().create_public_room("paypal2", alice.id, kNow).has_value());
  EXPECT_EQ(store().public_rooms(0, 1000).size(), 2u);
}

TEST_P(StoreContract, FindRoomOfUnknownIdIsEmpty) {
  const Room general = store().ensure_public_room("general", 0, kNow);
  EXPECT_FALSE(store().find_room(general.id + 1000).has_value());
  EXPECT_FALSE(store().find_room(0).has_value());
}

TEST_P(StoreContract, PublicRoomsListsPublicRoomsOnlyInCreationOrder) {
  const User alice = make_user("alice");
  const User bob = make_user("bob");
  EXPECT_TRUE(store().public_rooms(0, 100).empty());
  const Room general = store().ensure_public_room("general", 0, kNow);
  store().direct_room(alice.id, bob.id, kNow);
  const Room random = store().create_public_room("random", alice.id, kNow).value();
  const std::vector<Room> rooms = store().public_rooms(0, 100);
  ASSERT_EQ(rooms.size(), 2u);
  EXPECT_EQ(rooms[0].id, general.id);
  EXPECT_EQ(rooms[0].name, "general");
  EXPECT_EQ(rooms[1].id, random.id);
  for (const Room& room : rooms) EXPECT_EQ(room.kind, RoomKind::public_room);
}

TEST_P(StoreContract, FindPublicRoomIgnoresCaseAndSkipsDirectRooms) {
  const User alice = make_user("alice");
  const User bob = make_user("bob");
  EXPECT_FALSE(store().find_public_room("Lounge").has_value());
  const Room lounge = store().create_public_room("Lounge", alice.id, kNow).value();
  store().direct_room(alice.id, bob.id, kNow);
  auto found = store().find_public_room("LOUNGE");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->id, lounge.id);
  EXPECT_EQ(found->name, "Lounge");
  EXPECT_FALSE(store().find_public_room("").has_value());
}

TEST_P(StoreContract, PublicRoomsArePagedByIdAfterACursor) {
  std::vector<Room> made;
  for (int i = 0; i < 5; ++i) made.push_back(store().create_public_room("room" + std::to_string(i), 0, kNow).value());
  const std::vector<Room> first = store().public_rooms(0, 2);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].id, made[0].id);
  EXPECT_EQ(first[1].id, made[1].id);
  const std::vector<Room> second = store().public_rooms(first.back().id, 2);
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(second[0].id, made[2].id);
  const std::vector<Room> last = store().public_rooms(second.back().id, 2);
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0].id, made[4].id);
  EXPECT_TRUE(store().public_rooms(made[4].id, 2).empty());
}

TEST_P(StoreContract, CountRoomsCreatedCountsOneUsersPublicRoomsSinceATime) {
  const User alice = make_user("alice");
  const User bob = make_user("bob");
  store().create_public_room("old", alice.id, kNow - 5000).value();
  store().create_public_room("new1", alice.id, kNow).value();
  store().ensure_public_room("new2", alice.id, kNow + 10);
  store().create_public_room("bobs", bob.id, kNow).value();
  store().direct_room(alice.id, bob.id, kNow);
  EXPECT_EQ(store().count_rooms_created(alice.id, kNow), 2u);
  EXPECT_EQ(store().count_rooms_created(alice.id, kNow - 5000), 3u);
  EXPECT_EQ(store().count_rooms_created(bob.id, kNow), 1u);
  EXPECT_EQ(store().count_rooms_created(bob.id, kNow + 1), 0u);
}

TEST_P(StoreContract, DirectRoomIsTheSameForBothOrders) {
  const User alice = make_user("alice");
  const User bob = make_user("bob");
  const User carol = make_user("carol");

  const Room ab = store().direct_room(alice.id, bob.id, kNow);
  const Room ba = store().direct_room(bob.id, alice.id, kNow + 5);
  EXPECT_EQ(ab.id, ba.id);
  EXPECT_EQ(ab.kind, RoomKind::direct);
  EXPECT_EQ(ab.name, "");
  EXPECT_EQ(ab.created_at, kNow);
  EXPECT_EQ(ab.last_seq, 0);
  const std::vector<int64_t> members = {std::min(alice.id, bob.id), std::max(alice.id, bob.id)};
  std::vector<int64_t> ab_members = ab.direct_members;
  std::vector<int64_t> ba_members = ba.direct_members;
  std::sort(ab_members.begin(), ab_members.end());
  std::sort(ba_members.begin(), ba_members.end());
  EXPECT_EQ(ab_members, members);
  EXPECT_EQ(ba_members, members);

  EXPECT_TRUE(store().is_member(ab.id, alice.id));
  EXPECT_TRUE(store().is_member(ab.id, bob.id));
  EXPECT_FALSE(store().is_member(ab.id, carol.id));

  const std::optional<Room> found = store().find_room(ab.id);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->kind, RoomKind::direct);
  std::vector<int64_t> found_members = found->direct_members;
  std::sort(found_members.begin(), found_members.end());
  EXPECT_EQ(found_members, members);

  const Room ac = store().direct_room(alice.id, carol.id, kNow);
  EXPECT_NE(ac.id, ab.id);
  EXPECT_EQ(store().direct_room(carol.id, alice.id, kNow).id, ac.id);
}

TEST_P(StoreContract, DirectRoomWithUnknownUserIsNotFound) {
  const User alice = make_user("alice");
  EXPECT_EQ(thrown_kind([&] { store().direct_room(alice.id, alice.id + 1000, kNow); }), Kind::not_found);
  EXPECT_TRUE(store().rooms_of(alice.id).empty()) << "no half-made room is left behind";
}

TEST_P(StoreContract, RoomsOfListsJoinedPublicRoomsAndDirectRooms) {
  const User alice = make_user("alice");
  const User bob = make_user("bob");
  const User carol = make_user("carol");
  const Room general = store().ensure_public_room("general", 0, kNow);
  const Room random = store().ensure_public_room("random", 0, kNow);
  store().add_member(general.id, alice.id, kNow);
  store().add_member(random.id, bob.id, kNow);
  const Room ab = store().direct_room(alice.id, bob.id, kNow);
  const Room bc = store().direct_room(bob.id, carol.id, kNow);

  EXPECT_EQ(ids_of(store().rooms_of(alice.id)), (std::set<int64_t>{general.id, ab.id}));
  EXPECT_EQ(ids_of(store().rooms_of(bob.id)), (std::set<int64_t>{random.id, ab.id, bc.id}));
  EXPECT_EQ(ids_of(store().rooms_of(carol.id)), (std::set<int64_t>{bc.id}));
  EXPECT_TRUE(store().rooms_of(alice.id + bob.id + carol.id + 1000).empty());

  for (const Room& room : store().rooms_of(alice.id)) {
    if (room.id == general.id) {
      EXPECT_EQ(room.kind, RoomKind::public_room);
      EXPECT_EQ(room.name, "general");
    } else {
      EXPECT_EQ(room.kind, RoomKind::direct);
      EXPECT_EQ(room.direct_members.size(), 2u);
    }
  }
}

TEST_P(StoreContract, MembershipCanBeAddedAndRemoved) {
  const User alice = make_user("alice");
  const User bob = make_user("bob");
  const Room general = store().ensure_public_room("general", 0, kNow);
  const Room random = store().ensure_public_room("random", 0, kNow);
  EXPECT_FALSE(store().is_member(general.id, alice.id));

  store().add_member(general.id, alice.id, kNow);
  EXPECT_NO_THROW(store().add_member(general.id, alice.id, kNow + 1)) << "joining twice is harmless";
  EXPECT_TRUE(store().is_member(general.id, alice.id));
  EXPECT_FALSE(store().is_member(random.id, alice.id));
  EXPECT_FALSE(store().is_member(general.id, bob.id));
  EXPECT_EQ(store().rooms_of(alice.id).size(), 1u);

  store().remove_member(general.id, alice.id);
  EXPECT_FALSE(store().is_member(general.id, alice.id));
  EXPECT_TRUE(store().rooms_of(alice.id).empty());
  EXPECT_NO_THROW(store().remove_member(general.id, alice.id)) << "leaving twice is harmless";
  EXPECT_NO_THROW(store().remove_member(general.id + 1000, alice.id));

  store().add_member(general.id, alice.id, kNow + 2);
  EXPECT_TRUE(store().is_member(general.id, alice.id)) << "rejoining works";
  EXPECT_FALSE(store().is_member(general.id + 1000, alice.id));
}

TEST_P(StoreContract, AddMemberToUnknownRoomOrUserIsNotFound) {
  const User alice = make_user("alice");
  const Room general = store().ensure_public_room("general", 0, kNow);
  EXPECT_EQ(thrown_kind([&] { store().add_member(general.id + 1000, alice.id, kNow); }), Kind::not_found);
  EXPECT_EQ(thrown_kind([&] { store().add_member(general.id, alice.id + 1000, kNow); }), Kind::not_found);
}

}  // namespace
}  // namespace dchat::store::contract
