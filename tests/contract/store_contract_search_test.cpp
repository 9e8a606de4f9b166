// The Store contract, part 8: search_messages. Every word must be in the text (whole words, any
// case); only rooms the user may read (every public room, the user's own direct conversations);
// deleted messages are never found and edits are found by their new text; newest first, paged by
// message id. A message is found once index_search has taken it in (SQLite indexes in batches;
// PostgreSQL as it inserts): the chat runs it before every search.
#include <string>
#include <vector>

#include "store_contract.hpp"
#include "store_test_helpers.hpp"

namespace dchat::store::contract {
namespace {

// Everything stored taken into the index, as the chat does before a search.
void index_everything(Store& s) {
  while (s.index_search(1000) > 0) {
  }
}

std::vector<std::string> texts_of(const std::vector<Message>& messages) {
  std::vector<std::string> texts;
  for (const Message& m : messages) texts.push_back(m.text);
  return texts;
}

TEST_P(StoreContract, SearchFindsMessagesWithEveryWordNewestFirst) {
  const User alice = make_user("alice");
  const Room room = store().ensure_public_room("lounge", 0, kNow);
  store().add_member(room.id, alice.id, kNow);
  for (const char* text : {"The deploy failed again", "deploy is green now", "lunch?", "Deploy FAILED twice",
                           "redeploying", "ünïcode wörds déploy"})
    store().append_messages({AppendRequest{room.id, alice.id, text, "", kNow}});
  index_everything(store());

  using V = std::vector<std::string>;
  EXPECT_EQ(texts_of(store().search_messages(alice.id, {"deploy"}, 0, 10)),
            (V{"Deploy FAILED twice", "deploy is green now", "The deploy failed again"}));
  EXPECT_EQ(texts_of(store().search_messages(alice.id, {"deploy", "failed"}, 0, 10)),
            (V{"Deploy FAILED twice", "The deploy failed again"}));
  EXPECT_EQ(texts_of(store().search_messages(alice.id, {"wörds"}, 0, 10)), (V{"ünïcode wörds déploy"}));
  EXPECT_TRUE(store().search_messages(alice.id, {"nothing"}, 0, 10).empty());
  EXPECT_TRUE(store().search_messages(alice.id, {}, 0, 10).empty());
  // Words that look like query syntax are only words.
  for (const char* odd : {"\"", "deploy OR lunch", "*", "NEAR", "-deploy", "a\"b", "&|!:()"})
    EXPECT_NO_THROW(store().search_messages(alice.id, {odd}, 0, 10)) << odd;

  // Paging: the next page is below the last id given.
  const auto first = store().search_messages(alice.id, {"deploy"}, 0, 2);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(texts_of(store().search_messages(alice.id, {"deploy"}, first.back().id, 2)),
            (V{"The deploy failed again"}));
  EXPECT_EQ(first[0].author_name, "alice");
  EXPECT_EQ(first[0].room_id, room.id);
}

TEST_P(StoreContract, SearchNeverFindsWhatTheUserCannotRead) {
  const User alice = make_user("alice");
  const User bob = make_user("bob");
  const User eve = make_user("eve");
  const Room open = store().ensure_public_room("open", 0, kNow);
  store().add_member(open.id, alice.id, kNow);
  const Room dm = store().direct_room(alice.id, bob.id, kNow);
  store().append_messages({AppendRequest{open.id, alice.id, "secret plans in public", "", kNow},
                           AppendRequest{dm.id, alice.id, "secret plans between us", "", kNow}});
  index_everything(store());
  EXPECT_EQ(store().search_messages(alice.id, {"secret"}, 0, 10).size(), 2u);
  EXPECT_EQ(store().search_messages(bob.id, {"secret"}, 0, 10).size(), 2u);
  // Public rooms are readable by everyone, joined or not; a conversation of others is not.
  const auto for_eve = store().search_messages(eve.id, {"secret"}, 0, 10);
  ASSERT_EQ(for_eve.size(), 1u);
  EXPECT_EQ(for_eve[0].room_id, open.id);
}

TEST_P(StoreContract, SearchFollowsEditsAndNeverFindsDeletedText) {
  const User alice = make_user("alice");
  const Room room = store().ensure_public_room("lounge", 0, kNow);
  store().add_member(room.id, alice.id, kNow);
  // Changed once indexed (1, 2), and changed before being indexed (3, 4).
  store().append_messages({AppendRequest{room.id, alice.id, "my password is hunter2", "", kNow},
                           AppendRequest{room.id, alice.id, "typo in teh word", "", kNow}});
  index_everything(store());
  store().append_messages({AppendRequest{room.id, alice.id, "pin is swordfish", "", kNow},
                           AppendRequest{room.id, alice.id, "recieve the mail", "", kNow}});
  store().delete_message(room.id, 1, kNow);
  store().edit_message(room.id, 2, "typo in the word", kNow);
  store().delete_message(room.id, 3, kNow);
  store().edit_message(room.id, 4, "receive the mail", kNow);
  index_everything(store());
  for (const char* gone : {"hunter2", "password", "teh", "swordfish", "pin", "recieve"})
    EXPECT_TRUE(store().search_messages(alice.id, {gone}, 0, 10).empty()) << gone;
  EXPECT_EQ(store().search_messages(alice.id, {"the"}, 0, 10).size(), 2u);
  EXPECT_EQ(store().search_messages(alice.id, {"receive"}, 0, 10).size(), 1u);
  // And changed after that (the triggers of indexed messages).
  store().edit_message(room.id, 4, "received", kNow);
  EXPECT_TRUE(store().search_messages(alice.id, {"receive"}, 0, 10).empty());
  EXPECT_EQ(store().search_messages(alice.id, {"received"}, 0, 10).size(), 1u);
}

TEST_P(StoreContract, SearchInsideAGroupSeesItsOwnWritesAndNothingTakenBack) {
  const User alice = make_user("alice");
  const Room room = store().ensure_public_room("lounge", 0, kNow);
  store().add_member(room.id, alice.id, kNow);
  store().begin_group();
  store().begin_group_job();
  store().append_messages({AppendRequest{room.id, alice.id, "taken back", "", kNow}});
  store().end_group_job(false);
  store().begin_group_job();
  store().append_messages({AppendRequest{room.id, alice.id, "kept", "", kNow}});
  store().end_group_job(true);
  store().commit_group();
  index_everything(store());
  EXPECT_TRUE(store().search_messages(alice.id, {"taken"}, 0, 10).empty());
  EXPECT_EQ(store().search_messages(alice.id, {"kept"}, 0, 10).size(), 1u);
}

}  // namespace
}  // namespace dchat::store::contract
