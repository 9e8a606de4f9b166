// The Store contract, part 10: image attachments. An attachment is stored unsent, then linked to
// the message that sends it inside append_messages (the author's own, uploaded to that room, not
// sent yet; otherwise nothing is stored and no seq is used); messages show their attachments on
// every read; a delete removes them and reports the blobs nothing uses any more; unsent ones
// expire.
#include <algorithm>
#include <string>
#include <vector>

#include "store_contract.hpp"
#include "store_test_helpers.hpp"

namespace dchat::store::contract {
namespace {

using Status = AppendOutcome::Status;

class AttachmentContract {
 public:
  static Attachment make(const std::string& id, const Room& room, const User& uploader, int64_t at,
                         const std::string& blob = "") {
    Attachment a;
    a.id = id;
    a.room_id = room.id;
    a.uploader_id = uploader.id;
    a.blob = blob.empty() ? "att-full-" + id : blob;
    a.thumb_blob = blob.empty() ? "att-thumb-" + id : blob + "-thumb";
    a.width = 1024;
    a.height = 768;
    a.thumb_width = 400;
    a.thumb_height = 300;
    a.bytes = 12345;
    a.created_at = at;
    return a;
  }
};

AppendRequest with_images(const Room& room, const User& author, std::string text, std::vector<std::string> ids,
                          std::string client_id = "") {
  AppendRequest request{room.id, author.id, std::move(text), std::move(client_id), 1'700'000'000'000};
  request.attachments = std::move(ids);
  return request;
}

std::vector<std::string> ids_in(const Message& m) {
  std::vector<std::string> ids;
  for (const auto& a : m.attachments) ids.push_back(a.id);
  return ids;
}

TEST_P(StoreContract, AttachmentsAreStoredUnsentThenSentWithTheirMessage) {
  const User alice = make_user("alice");
  const User bob = make_user("bob");
  const Room lounge = public_room_with("lounge", {alice.id, bob.id});
  store().create_attachment(AttachmentContract::make("img1", lounge, alice, kNow));
  store().create_attachment(AttachmentContract::make("img2", lounge, alice, kNow));
  const Attachment stored = store().find_attachment("img1").value();
  EXPECT_EQ(stored.room_id, lounge.id);
  EXPECT_EQ(stored.uploader_id, alice.id);
  EXPECT_EQ(stored.blob, "att-full-img1");
  EXPECT_EQ(stored.thumb_blob, "att-thumb-img1");
  EXPECT_EQ(stored.width, 1024);
  EXPECT_EQ(stored.thumb_height, 300);
  EXPECT_EQ(stored.bytes, 12345);
  EXPECT_EQ(stored.created_at, kNow);
  EXPECT_EQ(stored.seq, 0);
  EXPECT_FALSE(store().find_attachment("nope").has_value());
  EXPECT_EQ(store().count_unsent_attachments(alice.id), 2u);
  EXPECT_EQ(store().count_unsent_attachments(bob.id), 0u);

  const auto out = store().append_messages({with_images(lounge, alice, "", {"img2", "img1"})});
  ASSERT_EQ(out.at(0).status, Status::stored);
  EXPECT_EQ(ids_in(out[0].message), (std::vector<std::string>{"img2", "img1"})) << "in the order sent";
  EXPECT_EQ(out[0].message.attachments.at(1), stored.view());
  EXPECT_EQ(out[0].message.text, "");
  EXPECT_EQ(store().find_attachment("img1")->seq, 1);
  EXPECT_EQ(store().count_unsent_attachments(alice.id), 0u);
  // Every read shows them: find, before, after.
  EXPECT_EQ(ids_in(store().find_message(lounge.id, 1).value()), (std::vector<std::string>{"img2", "img1"}));
  EXPECT_EQ(store().messages_before(lounge.id, 0, 10).at(0).attachments.at(1), store().find_attachment("img1")->view());
  EXPECT_EQ(ids_in(store().messages_after(lounge.id, 0, 10).at(0)), (std::vector<std::string>{"img2", "img1"}));
  // A message without attachments shows none.
  store().append_messages({with_images(lounge, bob, "plain", {})});
  EXPECT_TRUE(store().find_message(lounge.id, 2)->attachments.empty());
}

TEST_P(StoreContract, AttachmentsThatCannotBeSentStoreNothingAndUseNoSeq) {
  const User alice = make_user("alice");
  const User bob = make_user("bob");
  const Room lounge = public_room_with("lounge", {alice.id, bob.id});
  const Room other = public_room_with("other", {alice.id});
  store().create_attachment(AttachmentContract::make("mine", lounge, alice, kNow));
  store().create_attachment(AttachmentContract::make("elsewhere", other, alice, kNow));
  store().create_attachment(AttachmentContract::make("bobs", lounge, bob, kNow));
  const auto out = store().append_messages({
      with_images(lounge, alice, "unknown", {"mine", "nope"}),
      with_images(lounge, alice, "not mine", {"bobs"}),
      with_images(lounge, alice, "wrong room", {"elsewhere"}),
      with_images(lounge, alice, "ok", {"mine"}),
      with_images(lounge, alice, "again", {"mine"}),
      with_images(lounge, bob, "again, by bob", {"mine"}),
  });
  EXPECT_EQ(out.at(0).status, Status::no_attachment);
  EXPECT_EQ(out.at(1).status, Status::no_attachment) << "another user's upload is not the author's to send";
  EXPECT_EQ(out.at(2).status, Status::attachment_unusable);
  EXPECT_EQ(out.at(3).status, Status::stored);
  EXPECT_EQ(out.at(3).message.seq, 1) << "refused sends take no seq";
  EXPECT_EQ(out.at(4).status, Status::attachment_unusable) << "already sent, in the same batch";
  EXPECT_EQ(out.at(5).status, Status::no_attachment);
  // Later batches too.
  EXPECT_EQ(store().append_messages({with_images(lounge, alice, "again", {"mine"})}).at(0).status,
            Status::attachment_unusable);
  EXPECT_EQ(seqs_of(store().messages_after(lounge.id, 0, 10)), (std::vector<int64_t>{1}));
  EXPECT_EQ(store().find_room(lounge.id)->last_seq, 1);
  EXPECT_EQ(store().find_attachment("bobs")->seq, 0);
  EXPECT_EQ(store().find_attachment("elsewhere")->seq, 0);
  // The next message takes seq 2.
  EXPECT_EQ(store().append_messages({with_images(lounge, bob, "next", {"bobs"})}).at(0).message.seq, 2);
}

TEST_P(StoreContract, ResendingAMessageWithAttachmentsReturnsTheStoredOne) {
  const User alice = make_user("alice");
  const Room lounge = public_room_with("lounge", {alice.id});
  store().create_attachment(AttachmentContract::make("img1", lounge, alice, kNow));
  const auto first = store().append_messages({with_images(lounge, alice, "hi", {"img1"}, "c1")});
  ASSERT_EQ(first.at(0).status, Status::stored);
  const auto again = store().append_messages({with_images(lounge, alice, "hi", {"img1"}, "c1")});
  ASSERT_EQ(again.at(0).status, Status::duplicate);
  EXPECT_EQ(again[0].message.seq, first[0].message.seq);
  EXPECT_EQ(ids_in(again[0].message), (std::vector<std::string>{"img1"}));
  // In one batch too.
  store().create_attachment(AttachmentContract::make("img2", lounge, alice, kNow));
  const auto both = store().append_messages(
      {with_images(lounge, alice, "x", {"img2"}, "c2"), with_images(lounge, alice, "x", {"img2"}, "c2")});
  EXPECT_EQ(both.at(0).status, Status::stored);
  EXPECT_EQ(both.at(1).status, Status::duplicate);
  EXPECT_EQ(ids_in(both[1].message), (std::vector<std::string>{"img2"}));
}

TEST_P(StoreContract, AttachmentsShowInChangesAndSearchAndStayThroughEdits) {
  const User alice = make_user("alice");
  const Room lounge = public_room_with("lounge", {alice.id});
  store().create_attachment(AttachmentContract::make("img1", lounge, alice, kNow));
  store().append_messages({with_images(lounge, alice, "sunset photo", {"img1"})});
  store().edit_message(lounge.id, 1, "sunset picture", kNow + 1);
  EXPECT_EQ(ids_in(store().find_message(lounge.id, 1).value()), (std::vector<std::string>{"img1"}));
  EXPECT_EQ(ids_in(store().messages_changed_after(lounge.id, 0, 10).at(0)), (std::vector<std::string>{"img1"}));
  while (store().index_search(100) > 0) {
  }
  const auto found = store().search_messages(alice.id, {"picture"}, 0, 10);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(ids_in(found[0]), (std::vector<std::string>{"img1"}));
}

TEST_P(StoreContract, DeletingAMessageRemovesItsAttachmentsAndReportsUnusedBlobs) {
  const User alice = make_user("alice");
  const Room lounge = public_room_with("lounge", {alice.id});
  // img1 and img2 share their blobs (the same picture uploaded twice); img3 has its own.
  store().create_attachment(AttachmentContract::make("img1", lounge, alice, kNow, "att-same"));
  store().create_attachment(AttachmentContract::make("img2", lounge, alice, kNow, "att-same"));
  store().create_attachment(AttachmentContract::make("img3", lounge, alice, kNow));
  store().append_messages({with_images(lounge, alice, "a", {"img1", "img3"})});
  store().append_messages({with_images(lounge, alice, "b", {"img2"})});
  store().delete_message(lounge.id, 1, kNow + 1);
  EXPECT_TRUE(store().find_message(lounge.id, 1)->attachments.empty()) << "the tombstone shows none";
  auto unused = store().remove_message_attachments(lounge.id, 1);
  std::sort(unused.begin(), unused.end());
  EXPECT_EQ(unused, (std::vector<std::string>{"att-full-img3", "att-thumb-img3"})) << "att-same is still used by img2";
  EXPECT_FALSE(store().find_attachment("img1").has_value());
  EXPECT_FALSE(store().find_attachment("img3").has_value());
  EXPECT_TRUE(store().find_message(lounge.id, 1)->attachments.empty());
  EXPECT_TRUE(store().remove_message_attachments(lounge.id, 1).empty()) << "nothing left to remove";
  store().delete_message(lounge.id, 2, kNow + 2);
  unused = store().remove_message_attachments(lounge.id, 2);
  std::sort(unused.begin(), unused.end());
  EXPECT_EQ(unused, (std::vector<std::string>{"att-same", "att-same-thumb"}));
  // A message without attachments: nothing.
  store().append_messages({with_images(lounge, alice, "c", {})});
  EXPECT_TRUE(store().remove_message_attachments(lounge.id, 3).empty());
}

TEST_P(StoreContract, UnsentAttachmentsExpire) {
  const User alice = make_user("alice");
  const Room lounge = public_room_with("lounge", {alice.id});
  store().create_attachment(AttachmentContract::make("old", lounge, alice, kNow - 10'000));
  store().create_attachment(AttachmentContract::make("old-sent", lounge, alice, kNow - 10'000));
  store().create_attachment(AttachmentContract::make("old-shared", lounge, alice, kNow - 10'000, "att-shared"));
  store().create_attachment(AttachmentContract::make("new-shared", lounge, alice, kNow, "att-shared"));
  store().create_attachment(AttachmentContract::make("new", lounge, alice, kNow));
  store().append_messages({with_images(lounge, alice, "sent", {"old-sent"})});
  auto unused = store().remove_expired_attachments(kNow - 5'000, 100);
  std::sort(unused.begin(), unused.end());
  EXPECT_EQ(unused, (std::vector<std::string>{"att-full-old", "att-thumb-old"}));
  EXPECT_FALSE(store().find_attachment("old").has_value());
  EXPECT_FALSE(store().find_attachment("old-shared").has_value());
  EXPECT_TRUE(store().find_attachment("old-sent").has_value()) << "sent attachments never expire";
  EXPECT_TRUE(store().find_attachment("new").has_value());
  EXPECT_TRUE(store().find_attachment("new-shared").has_value());
  EXPECT_EQ(store().count_unsent_attachments(alice.id), 2u);
  EXPECT_TRUE(store().remove_expired_attachments(kNow - 5'000, 100).empty());
  // At most `limit` a call.
  store().create_attachment(AttachmentContract::make("a1", lounge, alice, kNow - 9'000));
  store().create_attachment(AttachmentContract::make("a2", lounge, alice, kNow - 8'000));
  EXPECT_EQ(store().remove_expired_attachments(kNow - 5'000, 1).size(), 2u) << "one attachment, two blobs";
  EXPECT_FALSE(store().find_attachment("a1").has_value());
  EXPECT_TRUE(store().find_attachment("a2").has_value());
}

TEST_P(StoreContract, AttachmentsNeedAnExistingRoomAndUploader) {
  const User alice = make_user("alice");
  const Room lounge = public_room_with("lounge", {alice.id});
  Attachment a = AttachmentContract::make("x", lounge, alice, kNow);
  a.room_id = 999;
  EXPECT_EQ(thrown_kind([&] { store().create_attachment(a); }), StoreError::Kind::not_found);
  a = AttachmentContract::make("x", lounge, alice, kNow);
  store().create_attachment(a);
  EXPECT_EQ(thrown_kind([&] { store().create_attachment(a); }), StoreError::Kind::conflict);
}

}  // namespace
}  // namespace dchat::store::contract
