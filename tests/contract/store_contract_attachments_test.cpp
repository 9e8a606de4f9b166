// The Store contract, part 10: image attachments. An attachment is stored unsent, then linked to
// the message that sends it inside append_messages (the author's own, uploaded to that room, not
// sent yet; otherwise nothing is stored and no seq is used); messages show their attachments on
// every read; a delete removes them and reports the blobs nothing uses any more; unsent ones
// expire.
#include <algorithm>
#include <string>
#include <vector>

#include <atomic>
#include <functional>
#include <map>
#include <optional>
#include <utility>

#include "blob/blob_store.hpp"
#include "chat/attachment_blobs.hpp"
#include "store_contract.hpp"
#include "store_test_helpers.hpp"

namespace dchat::store::contract {
namespace {

using Status = AppendOutcome::Status;

constexpr size_t kNoLimit = 1000;  // create_attachment's max_unsent, where the test is not about it

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
  store().create_attachment(AttachmentContract::make("img1", lounge, alice, kNow), kNoLimit);
  store().create_attachment(AttachmentContract::make("img2", lounge, alice, kNow), kNoLimit);
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
  store().create_attachment(AttachmentContract::make("mine", lounge, alice, kNow), kNoLimit);
  store().create_attachment(AttachmentContract::make("elsewhere", other, alice, kNow), kNoLimit);
  store().create_attachment(AttachmentContract::make("bobs", lounge, bob, kNow), kNoLimit);
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
  store().create_attachment(AttachmentContract::make("img1", lounge, alice, kNow), kNoLimit);
  const auto first = store().append_messages({with_images(lounge, alice, "hi", {"img1"}, "c1")});
  ASSERT_EQ(first.at(0).status, Status::stored);
  const auto again = store().append_messages({with_images(lounge, alice, "hi", {"img1"}, "c1")});
  ASSERT_EQ(again.at(0).status, Status::duplicate);
  EXPECT_EQ(again[0].message.seq, first[0].message.seq);
  EXPECT_EQ(ids_in(again[0].message), (std::vector<std::string>{"img1"}));
  // In one batch too.
  store().create_attachment(AttachmentContract::make("img2", lounge, alice, kNow), kNoLimit);
  const auto both = store().append_messages(
      {with_images(lounge, alice, "x", {"img2"}, "c2"), with_images(lounge, alice, "x", {"img2"}, "c2")});
  EXPECT_EQ(both.at(0).status, Status::stored);
  EXPECT_EQ(both.at(1).status, Status::duplicate);
  EXPECT_EQ(ids_in(both[1].message), (std::vector<std::string>{"img2"}));
}

TEST_P(StoreContract, AttachmentsShowInChangesAndSearchAndStayThroughEdits) {
  const User alice = make_user("alice");
  const Room lounge = public_room_with("lounge", {alice.id});
  store().create_attachment(AttachmentContract::make("img1", lounge, alice, kNow), kNoLimit);
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
  store().create_attachment(AttachmentContract::make("img1", lounge, alice, kNow, "att-same"), kNoLimit);
  store().create_attachment(AttachmentContract::make("img2", lounge, alice, kNow, "att-same"), kNoLimit);
  store().create_attachment(AttachmentContract::make("img3", lounge, alice, kNow), kNoLimit);
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
  store().create_attachment(AttachmentContract::make("old", lounge, alice, kNow - 10'000), kNoLimit);
  store().create_attachment(AttachmentContract::make("old-sent", lounge, alice, kNow - 10'000), kNoLimit);
  store().create_attachment(AttachmentContract::make("old-shared", lounge, alice, kNow - 10'000, "att-shared"), kNoLimit);
  store().create_attachment(AttachmentContract::make("new-shared", lounge, alice, kNow, "att-shared"), kNoLimit);
  store().create_attachment(AttachmentContract::make("new", lounge, alice, kNow), kNoLimit);
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
  store().create_attachment(AttachmentContract::make("a1", lounge, alice, kNow - 9'000), kNoLimit);
  store().create_attachment(AttachmentContract::make("a2", lounge, alice, kNow - 8'000), kNoLimit);
  EXPECT_EQ(store().remove_expired_attachments(kNow - 5'000, 1).size(), 2u) << "one attachment, two blobs";
  EXPECT_FALSE(store().find_attachment("a1").has_value());
  EXPECT_TRUE(store().find_attachment("a2").has_value());
}

TEST_P(StoreContract, AttachmentsNeedAnExistingRoomAndUploader) {
  const User alice = make_user("alice");
  const Room lounge = public_room_with("lounge", {alice.id});
  Attachment a = AttachmentContract::make("x", lounge, alice, kNow);
  a.room_id = 999;
  EXPECT_EQ(thrown_kind([&] { store().create_attachment(a, kNoLimit); }), StoreError::Kind::not_found);
  a = AttachmentContract::make("x", lounge, alice, kNow);
  store().create_attachment(a, kNoLimit);
  EXPECT_EQ(thrown_kind([&] { store().create_attachment(a, kNoLimit); }), StoreError::Kind::conflict);
}

TEST_P(StoreContract, ExpiredUnsentAttachmentsCannotBeSentBeforeTheSweep) {
  const User alice = make_user("alice");
  const Room lounge = public_room_with("lounge", {alice.id});
  store().create_attachment(AttachmentContract::make("stale", lounge, alice, kNow - 10'000), kNoLimit);
  store().create_attachment(AttachmentContract::make("fresh", lounge, alice, kNow - 1'000), kNoLimit);
  AppendRequest late = with_images(lounge, alice, "late", {"stale"});
  late.attachments_since = kNow - 5'000;  // a TTL of 5 s
  EXPECT_EQ(store().append_messages({late}).at(0).status, Status::no_attachment);
  EXPECT_EQ(store().find_attachment("stale").value().seq, 0) << "still unsent, for the sweep";
  AppendRequest in_time = with_images(lounge, alice, "in time", {"fresh"});
  in_time.attachments_since = kNow - 5'000;
  const auto sent = store().append_messages({in_time}).at(0);
  ASSERT_EQ(sent.status, Status::stored);
  EXPECT_EQ(ids_in(sent.message), (std::vector<std::string>{"fresh"}));
}

TEST_P(StoreContract, TheUnsentLimitIsCountedWhereTheAttachmentIsStored) {
  const User alice = make_user("alice");
  const User bob = make_user("bob");
  const Room lounge = public_room_with("lounge", {alice.id, bob.id});
  EXPECT_TRUE(store().create_attachment(AttachmentContract::make("a1", lounge, alice, kNow), 2));
  EXPECT_TRUE(store().create_attachment(AttachmentContract::make("a2", lounge, alice, kNow), 2));
  EXPECT_FALSE(store().create_attachment(AttachmentContract::make("a3", lounge, alice, kNow), 2));
  EXPECT_FALSE(store().find_attachment("a3").has_value()) << "nothing stored over the limit";
  EXPECT_TRUE(store().create_attachment(AttachmentContract::make("b1", lounge, bob, kNow), 2)) << "per uploader";
  // Sent ones do not count.
  ASSERT_EQ(store().append_messages({with_images(lounge, alice, "sent", {"a1"})}).at(0).status, Status::stored);
  EXPECT_TRUE(store().create_attachment(AttachmentContract::make("a3", lounge, alice, kNow), 2));
  EXPECT_EQ(store().count_unsent_attachments(alice.id), 2u);
}

TEST_P(StoreContract, TheUnsentLimitHoldsForUploadsOnSeveralConnectionsAtOnce) {
  // Replicas: each connection is another process; none may go over the limit between its count
  // and its insert.
  if (!db_.shared) GTEST_SKIP() << "every open() of this backend is a new, private database";
  const User alice = make_user("alice");
  const Room lounge = public_room_with("lounge", {alice.id});
  constexpr int kConnections = 6;
  std::atomic<int> stored{0};
  const auto errors = on_connections_at_once(kConnections, false, [&](Store& own, int index, std::string&) {
    for (int i = 0; i < 3; ++i) {
      const std::string id = "c" + std::to_string(index) + "-" + std::to_string(i);
      if (own.create_attachment(AttachmentContract::make(id, lounge, alice, kNow), 4)) stored.fetch_add(1);
    }
  });
  for (const auto& e : errors) EXPECT_EQ(e, "");
  EXPECT_EQ(stored.load(), 4);
  EXPECT_EQ(store().count_unsent_attachments(alice.id), 4u);
}

TEST_P(StoreContract, WithdrawingAnUnsentAttachmentIsForItsUploaderOnly) {
  const User alice = make_user("alice");
  const User bob = make_user("bob");
  const Room lounge = public_room_with("lounge", {alice.id, bob.id});
  store().create_attachment(AttachmentContract::make("mine", lounge, alice, kNow, "att-shared"), kNoLimit);
  store().create_attachment(AttachmentContract::make("twin", lounge, alice, kNow, "att-shared"), kNoLimit);
  store().create_attachment(AttachmentContract::make("sent", lounge, alice, kNow), kNoLimit);
  ASSERT_EQ(store().append_messages({with_images(lounge, alice, "sent", {"sent"})}).at(0).status, Status::stored);
  EXPECT_FALSE(store().remove_unsent_attachment("mine", bob.id).has_value()) << "someone else's";
  EXPECT_FALSE(store().remove_unsent_attachment("nope", alice.id).has_value()) << "unknown";
  EXPECT_FALSE(store().remove_unsent_attachment("sent", alice.id).has_value()) << "sent: goes with its message";
  EXPECT_TRUE(store().find_attachment("sent").has_value());
  // The blobs another attachment still uses stay.
  EXPECT_EQ(store().remove_unsent_attachment("mine", alice.id), std::vector<std::string>{});
  EXPECT_FALSE(store().find_attachment("mine").has_value());
  auto unused = store().remove_unsent_attachment("twin", alice.id);
  ASSERT_TRUE(unused.has_value());
  std::sort(unused->begin(), unused->end());
  EXPECT_EQ(*unused, (std::vector<std::string>{"att-shared", "att-shared-thumb"}));
  EXPECT_FALSE(store().remove_unsent_attachment("twin", alice.id).has_value()) << "once";
  EXPECT_TRUE(store().attachment_blob_used("att-full-sent"));
  EXPECT_FALSE(store().attachment_blob_used("att-shared"));
}

// A BlobStore in memory whose remove() can run a hook: what another thread does meanwhile.
class MemoryBlobs : public blob::BlobStore {
 public:
  std::string put(std::string_view bytes) override { return store_as(blob::content_id(bytes), bytes); }
  std::string put_attachment(std::string_view bytes) override { return store_as(blob::attachment_blob_id(bytes), bytes); }
  std::optional<std::string> get(const std::string& id) override {
    const auto it = blobs.find(id);
    return it == blobs.end() ? std::nullopt : std::optional(it->second);
  }
  bool remove(const std::string& id) override {
    const bool removed = blobs.erase(id) > 0;
    if (after_remove) std::exchange(after_remove, nullptr)();
    return removed;
  }
  std::map<std::string, std::string> blobs;
  std::function<void()> after_remove;

 private:
  std::string store_as(std::string id, std::string_view bytes) {
    blobs.emplace(id, std::string(bytes));
    return id;
  }
};

// An upload of "the same picture" (and its thumbnail).
Attachment picture_upload(const Room& room, const User& uploader, int64_t at) {
  Attachment a = AttachmentContract::make("first", room, uploader, at);
  a.blob = blob::attachment_blob_id("the same picture");
  a.thumb_blob = blob::attachment_blob_id("its thumbnail");
  return a;
}

// An upload (two blobs in `blobs`) withdrawn by its uploader: the blobs that left unused.
std::vector<std::string> withdrawn_upload(Store& store, MemoryBlobs& blobs, const Attachment& upload) {
  blobs.put_attachment("the same picture");
  blobs.put_attachment("its thumbnail");
  store.create_attachment(upload, kNoLimit);
  return store.remove_unsent_attachment(upload.id, upload.uploader_id).value();
}

// The same bytes uploaded again (by the same user): the upload found the files still there.
void upload_again(Store& store, Attachment upload) {
  upload.id = "again";
  store.create_attachment(upload, kNoLimit);
}

TEST_P(StoreContract, ABlobIsNotRemovedFromUnderAnUploadOfTheSameBytes) {
  const User alice = make_user("alice");
  const Attachment first = picture_upload(public_room_with("lounge", {alice.id}), alice, kNow);
  MemoryBlobs blobs;
  const auto unused = withdrawn_upload(store(), blobs, first);
  ASSERT_EQ(unused.size(), 2u);
  // After that commit and before the blobs are removed, the upload stores its row.
  upload_again(store(), first);
  EXPECT_EQ(chat::remove_unused_attachment_blobs(store(), blobs, unused), 0u);
  EXPECT_TRUE(blobs.get(first.blob).has_value()) << "the new row's image is still there";
  EXPECT_TRUE(blobs.get(first.thumb_blob).has_value());
}

TEST_P(StoreContract, ABlobRemovedJustAsAnUploadOfTheSameBytesCommitsIsPutBack) {
  const User alice = make_user("alice");
  const Attachment first = picture_upload(public_room_with("lounge", {alice.id}), alice, kNow);
  MemoryBlobs blobs;
  const auto unused = withdrawn_upload(store(), blobs, first);
  // The upload's row commits between the last look and the removal of the first blob.
  blobs.after_remove = [&] { upload_again(store(), first); };
  chat::remove_unused_attachment_blobs(store(), blobs, unused);
  EXPECT_TRUE(blobs.get(first.blob).has_value());
  EXPECT_TRUE(blobs.get(first.thumb_blob).has_value());
}

TEST_P(StoreContract, OnlySqliteIndexesSearchInBatches) {
  EXPECT_EQ(store().indexes_search_in_batches(), GetParam().name.starts_with("Sqlite"));
}

}  // namespace
}  // namespace dchat::store::contract

