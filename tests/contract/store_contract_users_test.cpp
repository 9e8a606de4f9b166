// The Store contract (see store_contract.hpp), part 1: migrations, users and sessions.
#include <optional>
#include <string>
#include <memory>

#include "store_contract.hpp"
#include "store_test_helpers.hpp"

namespace dchat::store::contract {
namespace {

using Kind = StoreError::Kind;

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
  const User alice = store().create_user("Alice", "hash-a", kNow).value();
  EXPECT_GT(alice.id, 0);
  EXPECT_EQ(alice.name, "Alice");
  EXPECT_EQ(alice.avatar, "");
  EXPECT_EQ(alice.avatar_small, "");
  EXPECT_EQ(alice.created_at, kNow);

  const User bob = store().create_user("Bob", "hash-b", kNow + 1).value();
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
  const User alice = store().create_user("Alice", "h", kNow).value();
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
  store().create_user("Alice", "first", kNow).value();
  for (const char* name : {"Alice", "alice", "ALICE"}) {
    EXPECT_TRUE(is_taken(store().create_user(name, "second", kNow))) << name;
  }
  // The refused attempts changed nothing.
  const std::optional<UserCredentials> credentials = store().find_credentials("alice");
  ASSERT_TRUE(credentials.has_value());
  EXPECT_EQ(credentials->password_hash, "first");
  EXPECT_EQ(credentials->user.name, "Alice");
  // A failed insert leaves the store usable.
  EXPECT_TRUE(store().create_user("Alicia", "third", kNow).has_value());
}

TEST_P(StoreContract, NonAsciiNamesIgnoreCaseToo) {
  const User emile = store().create_user("Émile", "h", kNow).value();
  ASSERT_TRUE(store().find_user_by_name("émile").has_value());
  EXPECT_EQ(store().find_user_by_name("ÉMILE")->id, emile.id);
  EXPECT_TRUE(is_taken(store().create_user("émile", "h", kNow)));

  const User boris = store().create_user("Борис", "h", kNow).value();
  EXPECT_EQ(store().find_user_by_name("борис")->id, boris.id);
  EXPECT_TRUE(is_taken(store().create_user("БОРИС", "h", kNow)));

  const User nikos = store().create_user("Νίκος", "h", kNow).value();
  EXPECT_EQ(store().find_user_by_name("νίκος")->id, nikos.id);

  // Accents are not case: these are other names.
  EXPECT_TRUE(store().create_user("Emile", "h", kNow).has_value());
  EXPECT_TRUE(store().create_user("Émilé", "h", kNow).has_value());
}

// Names that look alike are one name (equal UTS #39 skeletons, store/name_skeleton.hpp): a
// second one is never created, and lookups still find only the account a name is.
TEST_P(StoreContract, UserNamesAreUniqueByHowTheyLook) {
  const User alice = store().create_user("alice", "first", kNow).value();
  for (const char* look_alike : {"\u0430lice" /* Cyrillic а */, "a1ice", "ＡＬＩＣＥ", "alice\u200b"}) {
    EXPECT_TRUE(is_taken(store().create_user(look_alike, "second", kNow))) << look_alike;
    EXPECT_FALSE(store().find_user_by_name(look_alike).has_value())
        << look_alike << ": lookups never land on an account the name only looks like";
    EXPECT_FALSE(store().find_credentials(look_alike).has_value()) << look_alike;
  }
  store().create_user("paypal", "h", kNow).value();
  EXPECT_TRUE(is_taken(store().create_user("p\u0430ypal", "h", kNow)));
  store().create_user("rn", "h", kNow).value();
  EXPECT_TRUE(is_taken(store().create_user("m", "h", kNow))) << "m looks like rn";
  store().create_user("\u0430\u0441\u0435", "h", kNow).value();  // Cyrillic асе, first
  EXPECT_TRUE(is_taken(store().create_user("ace", "h", kNow))) << "whole-script look-alike";

  // The refused attempts changed nothing, and different names are still free.
  EXPECT_EQ(store().find_credentials("alice")->password_hash, "first");
  EXPECT_EQ(store().find_user_by_name("ALICE")->id, alice.id);
  EXPECT_TRUE(store().create_user("alicia", "h", kNow).has_value());
  EXPECT_TRUE(store().create_user("\u00e9mile", "h", kNow).has_value());
  EXPECT_TRUE(store().create_user("emile", "h", kNow).has_value()) << "an accent is not a look-alike";
}

TEST_P(StoreContract, FindCredentialsReturnsTheHash) {
  const std::string hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo";
  const User alice = store().create_user("Alice", hash, kNow).value();
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

}  // namespace
}  // namespace dchat::store::contract
