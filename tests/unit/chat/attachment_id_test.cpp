// Attachment ids (chat/attachment_id.hpp) and how messages carry their attachments: the
// messages.attachments text (store/message_rows.hpp) and the JSON (chat/views.hpp).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <set>

#include "chat/attachment_id.hpp"
#include "chat/views.hpp"
#include "store/message_rows.hpp"

namespace {

using dchat::chat::is_attachment_id;
using dchat::chat::new_attachment_id;
using dchat::store::MessageAttachment;

TEST(AttachmentId, IsRandomUrlSafeAnd128Bits) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = new_attachment_id();
    EXPECT_EQ(id.size(), 22u);
    EXPECT_TRUE(is_attachment_id(id)) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(AttachmentId, OnlyItsOwnShapeIsAccepted) {
  EXPECT_TRUE(is_attachment_id("AAAAAAAAAAAAAAAAAAAAAA"));
  EXPECT_TRUE(is_attachment_id("abc-_xyz0123456789ABCw"));
  EXPECT_FALSE(is_attachment_id(""));
  EXPECT_FALSE(is_attachment_id("AAAAAAAAAAAAAAAAAAAAA"));    // 21
  EXPECT_FALSE(is_attachment_id("AAAAAAAAAAAAAAAAAAAAAAA"));  // 23
  EXPECT_FALSE(is_attachment_id("AAAAAAAAAAAAAAAAAAAAAB"));   // a second spelling of 16 bytes
  EXPECT_FALSE(is_attachment_id("AAAAAAAAAAAAAAAAAAA/AA"));
  EXPECT_FALSE(is_attachment_id("AAAAAAAAAAAAAAAAAAA.AA"));
  EXPECT_FALSE(is_attachment_id("AAAAAAAAAAAAAAAAAAA+AA"));
  EXPECT_FALSE(is_attachment_id("AAAAAAAAAAAAAAAAAAA:AA"));
}

TEST(AttachmentsText, RoundTripsInOrder) {
  const std::vector<MessageAttachment> list{{"AAAAAAAAAAAAAAAAAAAAAA", 2048, 1536, 400, 300, 123456},
                                            {"abc-_xyz0123456789ABCw", 10, 20, 10, 20, 99}};
  const std::string text = dchat::store::attachments_text(list);
  EXPECT_EQ(text, "AAAAAAAAAAAAAAAAAAAAAA:2048:1536:400:300:123456,abc-_xyz0123456789ABCw:10:20:10:20:99");
  EXPECT_EQ(dchat::store::attachments_from_text(text), list);
  EXPECT_TRUE(dchat::store::attachments_from_text("").empty());
  EXPECT_EQ(dchat::store::attachments_text({}), "");
  // Malformed items are skipped.
  EXPECT_EQ(dchat::store::attachments_from_text("x:1:2:3:4,y:1:2:3:4:5:6,:1:2:3:4:5,z:1:2:3:4:5").size(), 1u);
}

TEST(AttachmentsJson, HasTheUrlsSizesAndType) {
  const auto o = dchat::chat::attachment_json({"AAAAAAAAAAAAAAAAAAAAAA", 2048, 1536, 400, 300, 123456});
  EXPECT_EQ(o.at("id").as_string(), "AAAAAAAAAAAAAAAAAAAAAA");
  EXPECT_EQ(o.at("url").as_string(), "/api/attachments/AAAAAAAAAAAAAAAAAAAAAA");
  EXPECT_EQ(o.at("thumbUrl").as_string(), "/api/attachments/AAAAAAAAAAAAAAAAAAAAAA/thumb");
  EXPECT_EQ(o.at("width").as_int64(), 2048);
  EXPECT_EQ(o.at("height").as_int64(), 1536);
  EXPECT_EQ(o.at("thumbWidth").as_int64(), 400);
  EXPECT_EQ(o.at("thumbHeight").as_int64(), 300);
  EXPECT_EQ(o.at("bytes").as_int64(), 123456);
  EXPECT_EQ(o.at("type").as_string(), "image/webp");
  EXPECT_EQ(o.size(), 9u);
  // In a message: always present, [] when none, and counted in the answer budget.
  dchat::store::Message m;
  EXPECT_TRUE(dchat::chat::message_json(m).at("attachments").as_array().empty());
  const size_t plain = dchat::chat::message_json_weight(m);
  m.attachments.push_back({"AAAAAAAAAAAAAAAAAAAAAA", 2048, 1536, 400, 300, 123456});
  EXPECT_EQ(dchat::chat::message_json(m).at("attachments").as_array().size(), 1u);
  EXPECT_GE(dchat::chat::message_json_weight(m), plain + boost::json::serialize(o).size());
}

}  // namespace
