// The Store contract: every rule store.hpp states (and the few it leaves open that the chat relies
// on), checked through the interface only, so each implementation runs the same tests. Backends
// instantiate this suite in their own factory file (sqlite_store_factory.cpp, ...).
#include <algorithm>
#include <atomic>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store_contract.hpp"

namespace dchat::store::contract {
namespace {

using Kind = StoreError::Kind;

// The kind of StoreError `action` throws, or nullopt when it throws none.
template <class Action>
std::optional<Kind> thrown_kind(Action&& action) {
  try {
    action();
  } catch (const StoreError& e) {
    return e.kind;
  }
  return std::nullopt;
}

std::vector<int64_t> seqs_of(const std::vector<Message>& messages) {
  std::vector<int64_t> seqs;
  for (const Message& m : messages) seqs.push_back(m.seq);
  return seqs;
}

std::vector<int64_t> range(int64_t first, int64_t last) {
  std::vector<int64_t> out;
  for (int64_t i = first; i <= last; ++i) out.push_back(i);
  return out;
}

std::set<int64_t> ids_of(const std::vector<Room>& rooms) {
  std::set<int64_t> ids;
  for (const Room& r : rooms) ids.insert(r.id);
  return ids;
}

// ---- migrations ----

TEST_P(StoreContract, MigrateTwiceIsIdempotent) {
  const User alice = make_user("alice");
  const Room general = store().ensure_public_room("general", 0, kNow);
  EXPECT_NO_THROW(store().migrate());
  EXPECT_NO_THROW(store().migrate());
  EXPECT_TRUE(store().find_user(alice.id).has_value());
  EXPECT_TRUE(store().find_room(general.id).has_value());
  if (db_.shared) {
    // A second process starting on an already migrated database.
    std::unique_ptr<Store> second = open_migrated();
    EXPECT_TRUE(second->find_user(alice.id).has_value());
  }
}

// ---- users ----

TEST_P(StoreContract, CreateUserReturnsWhatFindUserReads) {
  const User alice = store().create_user("Alice", "hash-a", kNow);
  EXPECT_GT(alice.id, 0);
  EXPECT_EQ(alice.name, "Alice");
  EXPECT_EQ(alice.avatar, "");
  EXPECT_EQ(alice.avatar_small, "");
  EXPECT_EQ(alice.created_at, kNow);

  const User bob = store().create_user("Bob", "hash-b", kNow + 1);
  EXPECT_NE(bob.id, alice.id);

  const std::optional<User> found = store().find_user(alice.id);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->id, alice.id);
  EXPECT_EQ(found->name, "Alice");
  EXPECT_EQ(found->avatar, "");
  EXPECT_EQ(found->avatar_small, "");
  EXPECT_EQ(found->created_at, kNow);
  EXPECT_EQ(store().find_user(bob.id)->created_at, kNow + 1);

  EXPECT_FALSE(store().find_user(alice.id + bob.id + 1000).has_value());
  EXPECT_FALSE(store().find_user(0).has_value());
}

TEST_P(StoreContract, FindUserByNameIgnoresCase) {
  const User alice = store().create_user("Alice", "h", kNow);
  for (const char* name : {"Alice", "alice", "ALICE", "aLiCe"}) {
    const std::optional<User> found = store().find_user_by_name(name);
    ASSERT_TRUE(found.has_value()) << name;
    EXPECT_EQ(found->id, alice.id) << name;
    EXPECT_EQ(found->name, "Alice") << "the name keeps the case it was created with";
  }
  EXPECT_FALSE(store().find_user_by_name("alic").has_value());
  EXPECT_FALSE(store().find_user_by_name("alice2").has_value());
  EXPECT_FALSE(store().find_user_by_name("").has_value());
}

TEST_P(StoreContract, UserNamesAreUniqueIgnoringCase) {
  store().create_user("Alice", "first", kNow);
  for (const char* name : {"Alice", "alice", "ALICE"}) {
    EXPECT_EQ(thrown_kind([&] { store().create_user(name, "second", kNow); }), Kind::conflict) << name;
  }
  // The refused attempts changed nothing.
  const std::optional<UserCredentials> credentials = store().find_credentials("alice");
  ASSERT_TRUE(credentials.has_value());
  EXPECT_EQ(credentials->password_hash, "first");
  EXPECT_EQ(credentials->user.name, "Alice");
  // A failed insert leaves the store usable.
  EXPECT_NO_THROW(store().create_user("Alicia", "third", kNow));
}

TEST_P(StoreContract, NonAsciiNamesIgnoreCaseToo) {
  const User emile = store().create_user("Émile", "h", kNow);
  ASSERT_TRUE(store().find_user_by_name("émile").has_value());
  EXPECT_EQ(store().find_user_by_name("ÉMILE")->id, emile.id);
  EXPECT_EQ(thrown_kind([&] { store().create_user("émile", "h", kNow); }), Kind::conflict);

  const User boris = store().create_user("Борис", "h", kNow);
  EXPECT_EQ(store().find_user_by_name("борис")->id, boris.id);
  EXPECT_EQ(thrown_kind([&] { store().create_user("БОРИС", "h", kNow); }), Kind::conflict);

  const User nikos = store().create_user("Νίκος", "h", kNow);
  EXPECT_EQ(store().find_user_by_name("νίκος")->id, nikos.id);

  // Accents are not case: these are other names.
  EXPECT_NO_THROW(store().create_user("Emile", "h", kNow));
  EXPECT_NO_THROW(store().create_user("Émilé", "h", kNow));
}

// Names that look alike are one name (equal UTS #39 skeletons, store/name_skeleton.hpp): a
// second one is never created, and lookups still find only the account a name is.
TEST_P(StoreContract, UserNamesAreUniqueByHowTheyLook) {
  const User alice = store().create_user("alice", "first", kNow);
  for (const char* look_alike : {"\u0430lice" /* Cyrillic а */, "a1ice", "ＡＬＩＣＥ", "alice\u200b"}) {
    EXPECT_EQ(thrown_kind([&] { store().create_user(look_alike, "second", kNow); }), Kind::conflict) << look_alike;
    EXPECT_FALSE(store().find_user_by_name(look_alike).has_value())
        << look_alike << ": lookups never land on an account the name only looks like";
    EXPECT_FALSE(store().find_credentials(look_alike).has_value()) << look_alike;
  }
  store().create_user("paypal", "h", kNow);
  EXPECT_EQ(thrown_kind([&] { store().create_user("p\u0430ypal", "h", kNow); }), Kind::conflict);
  store().create_user("rn", "h", kNow);
  EXPECT_EQ(thrown_kind([&] { store().create_user("m", "h", kNow); }), Kind::conflict) << "m looks like rn";
  store().create_user("\u0430\u0441\u0435", "h", kNow);  // Cyrillic асе, first
  EXPECT_EQ(thrown_kind([&] { store().create_user("ace", "h", kNow); }), Kind::conflict) << "whole-script look-alike";

  // The refused attempts changed nothing, and different names are still free.
  EXPECT_EQ(store().find_credentials("alice")->password_hash, "first");
  EXPECT_EQ(store().find_user_by_name("ALICE")->id, alice.id);
  EXPECT_NO_THROW(store().create_user("alicia", "h", kNow));
  EXPECT_NO_THROW(store().create_user("\u00e9mile", "h", kNow));
  EXPECT_NO_THROW(store().create_user("emile", "h", kNow)) << "an accent is not a look-alike";
}

TEST_P(StoreContract, FindCredentialsReturnsTheHash) {
  const std::string hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo";
  const User alice = store().create_user("Alice", hash, kNow);
  const std::optional<UserCredentials> credentials = store().find_credentials("ALICE");
  ASSERT_TRUE(credentials.has_value());
  EXPECT_EQ(credentials->password_hash, hash);
  EXPECT_EQ(credentials->user.id, alice.id);
  EXPECT_EQ(credentials->user.name, "Alice");
  EXPECT_EQ(credentials->user.created_at, kNow);
  EXPECT_FALSE(store().find_credentials("nobody").has_value());
}

TEST_P(StoreContract, SetAvatarStoresBothBlobIds) {
  const User alice = make_user("alice");
  const User bob = make_user("bob");
  const std::string big(64, 'a');
  const std::string small(64, 'b');
  store().set_avatar(alice.id, big, small);

  const std::optional<User> found = store().find_user(alice.id);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->avatar, big);
  EXPECT_EQ(found->avatar_small, small);
  EXPECT_EQ(store().find_user_by_name("alice")->avatar, big);
  EXPECT_EQ(store().find_credentials("alice")->user.avatar_small, small);
  EXPECT_EQ(store().find_user(bob.id)->avatar, "") << "only that user changes";

  const std::string newer(64, 'c');
  store().set_avatar(alice.id, newer, "");
  EXPECT_EQ(store().find_user(alice.id)->avatar, newer);
  EXPECT_EQ(store().find_user(alice.id)->avatar_small, "");
}

TEST_P(StoreContract, SetAvatarOfUnknownUserIsNotFound) {
  const User alice = make_user("alice");
  EXPECT_EQ(thrown_kind([&] { store().set_avatar(alice.id + 1000, "x", "y"); }), Kind::not_found);
}

// ---- sessions ----

TEST_P(StoreContract, SessionIsFoundUntilItExpires) {
  const User alice = make_user("alice");
  store().create_session({"token-1", alice.id, kNow + 1000});

  const std::optional<SessionRecord> found = store().find_session("token-1", kNow);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->token_hash, "token-1");
  EXPECT_EQ(found->user_id, alice.id);
  EXPECT_EQ(found->expires_at, kNow + 1000);

  EXPECT_TRUE(store().find_session("token-1", kNow + 999).has_value());
  EXPECT_FALSE(store().find_session("token-1", kNow + 1000).has_value()) << "expires_at == now is expired";
  EXPECT_FALSE(store().find_session("token-1", kNow + 5000).has_value());
  EXPECT_FALSE(store().find_session("token-2", kNow).has_value());
  EXPECT_FALSE(store().find_session("TOKEN-1", kNow).has_value()) << "tokens are exact";
}

TEST_P(StoreContract, ExtendSessionMovesTheExpiry) {
  const User alice = make_user("alice");
  store().create_session({"token-1", alice.id, kNow + 1000});
  store().extend_session("token-1", kNow + 5000);
  const std::optional<SessionRecord> found = store().find_session("token-1", kNow + 2000);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->expires_at, kNow + 5000);

  // The new time simply replaces the old one, even when it is earlier.
  store().extend_session("token-1", kNow + 10);
  EXPECT_FALSE(store().find_session("token-1", kNow + 2000).has_value());

  EXPECT_NO_THROW(store().extend_session("no-such-token", kNow + 5000));
  EXPECT_FALSE(store().find_session("no-such-token", kNow).has_value());
}

TEST_P(StoreContract, DeleteSessionRemovesOnlyThatSession) {
  const User alice = make_user("alice");
  store().create_session({"token-1", alice.id, kNow + 1000});
  store().create_session({"token-2", alice.id, kNow + 1000});
  store().delete_session("token-1");
  EXPECT_FALSE(store().find_session("token-1", kNow).has_value());
  EXPECT_TRUE(store().find_session("token-2", kNow).has_value());
  EXPECT_NO_THROW(store().delete_session("token-1"));
  EXPECT_NO_THROW(store().delete_session("never-existed"));
}

TEST_P(StoreContract, DeleteExpiredSessionsCountsAndKeepsLiveOnes) {
  const User alice = make_user("alice");
  store().create_session({"past", alice.id, kNow - 1});
  store().create_session({"now", alice.id, kNow});
  store().create_session({"future", alice.id, kNow + 1});
  EXPECT_EQ(store().delete_expired_sessions(kNow), 2u);
  EXPECT_TRUE(store().find_session("future", kNow).has_value());
  EXPECT_FALSE(store().find_session("past", kNow - 10).has_value()) << "deleted, not just expired";
  EXPECT_FALSE(store().find_session("now", kNow - 10).has_value());
  EXPECT_EQ(store().delete_expired_sessions(kNow), 0u);
  EXPECT_EQ(store().delete_expired_sessions(kNow + 1), 1u);
}

TEST_P(StoreContract, DeleteUserSessionsSignsOneUserOutEverywhere) {
  const User alice = make_user("alice");
  const User bob = make_user("bob");
  store().create_session({"a1", alice.id, kNow + 1000});
  store().create_session({"a2", alice.id, kNow + 1000});
  store().create_session({"b1", bob.id, kNow + 1000});
  EXPECT_EQ(store().delete_user_sessions(alice.id), 2u);
  EXPECT_FALSE(store().find_session("a1", kNow).has_value());
  EXPECT_FALSE(store().find_session("a2", kNow).has_value());
  EXPECT_TRUE(store().find_session("b1", kNow).has_value());
  EXPECT_EQ(store().delete_user_sessions(alice.id), 0u);
}

TEST_P(StoreContract, DuplicateSessionTokenIsConflict) {
  const User alice = make_user("alice");
  store().create_session({"token-1", alice.id, kNow + 1000});
  EXPECT_EQ(thrown_kind([&] { store().create_session({"token-1", alice.id, kNow + 2000}); }), Kind::conflict);
  EXPECT_EQ(store().find_session("token-1", kNow)->expires_at, kNow + 1000);
}

TEST_P(StoreContract, SessionOfUnknownUserIsNotFound) {
  const User alice = make_user("alice");
  EXPECT_EQ(thrown_kind([&] { store().create_session({"token-1", alice.id + 1000, kNow + 1000}); }),
            Kind::not_found);
  EXPECT_FALSE(store().find_session("token-1", kNow).has_value());
}

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
  const Room rust = store().create_public_room("Rust", alice.id, kNow);
  EXPECT_GT(rust.id, 0);
  EXPECT_EQ(rust.kind, RoomKind::public_room);
  EXPECT_EQ(rust.name, "Rust");
  EXPECT_EQ(rust.created_by, alice.id);
  EXPECT_EQ(rust.created_at, kNow);
  EXPECT_EQ(rust.last_seq, 0);

  for (const char* name : {"Rust", "rust", "RUST"}) {
    EXPECT_EQ(thrown_kind([&] { store().create_public_room(name, alice.id, kNow); }), Kind::conflict) << name;
  }
  store().ensure_public_room("general", 0, kNow);
  EXPECT_EQ(thrown_kind([&] { store().create_public_room("General", alice.id, kNow); }), Kind::conflict);
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
  const Room paypal = store().create_public_room("paypal", alice.id, kNow);
  EXPECT_EQ(thrown_kind([&] { store().create_public_room("p\u0430ypal", alice.id, kNow); }), Kind::conflict);
  EXPECT_EQ(thrown_kind([&] { store().create_public_room("PAYPAL", alice.id, kNow); }), Kind::conflict);
  EXPECT_EQ(store().ensure_public_room("p\u0430ypal", alice.id, kNow).id, paypal.id);
  EXPECT_NO_THROW(store().create_public_room("paypal2", alice.id, kNow));
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
  const Room random = store().create_public_room("random", alice.id, kNow);
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
  const Room lounge = store().create_public_room("Lounge", alice.id, kNow);
  store().direct_room(alice.id, bob.id, kNow);
  auto found = store().find_public_room("LOUNGE");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->id, lounge.id);
  EXPECT_EQ(found->name, "Lounge");
  EXPECT_FALSE(store().find_public_room("").has_value());
}

TEST_P(StoreContract, PublicRoomsArePagedByIdAfterACursor) {
  std::vector<Room> made;
  for (int i = 0; i < 5; ++i) made.push_back(store().create_public_room("room" + std::to_string(i), 0, kNow));
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
  store().create_public_room("old", alice.id, kNow - 5000);
  store().create_public_room("new1", alice.id, kNow);
  store().ensure_public_room("new2", alice.id, kNow + 10);
  store().create_public_room("bobs", bob.id, kNow);
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

// ---- messages ----

TEST_P(StoreContract, AppendNumbersEachRoomFromOne) {
  const User alice = store().create_user("Alice", "h", kNow);
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
  const User alice = store().create_user("Alice", "h", kNow);
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
  const User alice = store().create_user("Alice", "h", kNow);
  const User bob = store().create_user("Bob", "h", kNow);
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

  const User odd = store().create_user("o'brien; --", "h", kNow);
  EXPECT_EQ(store().find_user_by_name("O'BRIEN; --")->id, odd.id);
}

// ---- durability and concurrency (databases shared between connections only) ----

TEST_P(StoreContract, DataSurvivesClosingAndReopening) {
  if (!db_.shared) GTEST_SKIP() << "every open() of this backend is a new, private database";
  const User alice = store().create_user("Alice", "hash-a", kNow);
  const User bob = store().create_user("Bob", "hash-b", kNow);
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
  EXPECT_EQ(thrown_kind([&] { store().create_user("ALICE", "h", kNow); }), Kind::conflict);

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
  std::string errors[2];
  std::atomic<int> ready{0};
  auto writer = [&](int index, int64_t author) {
    try {
      // Each thread has its own connection, as each store worker thread would; both migrate,
      // as two processes starting together would.
      std::unique_ptr<Store> own = open_migrated();
      ready.fetch_add(1);
      while (ready.load() < 2) std::this_thread::yield();  // start appending together
      for (int i = 0; i < kPerThread; ++i) {
        const AppendResult r = own->append_message(room.id, author, "t" + std::to_string(i), "", kNow + i);
        if (r.duplicate) errors[index] += "unexpected duplicate; ";
        seqs[index].push_back(r.message.seq);
      }
    } catch (const std::exception& e) {
      errors[index] = e.what();
      ready.fetch_add(2);  // do not leave the other thread waiting
    }
  };
  std::thread first(writer, 0, alice.id);
  std::thread second(writer, 1, bob.id);
  first.join();
  second.join();
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
  std::string errors[2];
  std::atomic<int> ready{0};
  auto sender = [&](int index) {
    try {
      std::unique_ptr<Store> own = db_.open();
      ready.fetch_add(1);
      while (ready.load() < 2) std::this_thread::yield();
      for (int i = 0; i < kMessages; ++i) {
        results[index].push_back(
            own->append_message(room.id, alice.id, "m" + std::to_string(i), "c-" + std::to_string(i), kNow));
      }
    } catch (const std::exception& e) {
      errors[index] = e.what();
      ready.fetch_add(2);
    }
  };
  std::thread first(sender, 0);
  std::thread second(sender, 1);
  first.join();
  second.join();
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
  std::string errors[2];
  std::atomic<int> ready{0};
  auto creator = [&](int index) {
    try {
      std::unique_ptr<Store> own = db_.open();
      ready.fetch_add(1);
      while (ready.load() < 2) std::this_thread::yield();
      for (int i = 0; i < kRounds; ++i) {
        const std::string name = (index == 0 ? "room" : "r\u043e\u043em") + std::to_string(i);  // Cyrillic о о
        ids[index].push_back(own->ensure_public_room(name, 0, kNow).id);
      }
    } catch (const std::exception& e) {
      errors[index] = e.what();
      ready.fetch_add(2);
    }
  };
  std::thread first(creator, 0);
  std::thread second(creator, 1);
  first.join();
  second.join();
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
  std::vector<std::string> got(kReplicas), errors(kReplicas);
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kReplicas; ++i) {
    threads.emplace_back([&, i] {
      try {
        std::unique_ptr<Store> own = db_.open();
        ready.fetch_add(1);
        while (ready.load() < kReplicas) std::this_thread::yield();
        got[i] = own->shared_secret("device", "offer-" + std::to_string(i));
      } catch (const std::exception& e) {
        errors[i] = e.what();
        ready.fetch_add(kReplicas);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (const std::string& e : errors) ASSERT_EQ(e, "");
  for (const std::string& secret : got) EXPECT_EQ(secret, got[0]);
  EXPECT_TRUE(got[0].starts_with("offer-"));
  EXPECT_EQ(store().shared_secret("device", "late"), got[0]);
}

}  // namespace
}  // namespace dchat::store::contract
