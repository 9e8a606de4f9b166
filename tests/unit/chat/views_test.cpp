// The wire shapes built from the chat's typed results (chat/views.hpp).
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "chat/views.hpp"

namespace {

using namespace dchat;
namespace json = boost::json;

store::Message message(int64_t seq, std::string text) {
  store::Message m;
  m.id = seq;
  m.room_id = 7;
  m.seq = seq;
  m.author_id = 1;
  m.author_name = "alice";
  m.text = std::move(text);
  return m;
}

TEST(ChatViews, RefusalsCarryTheirCodeAndRetryHint) {
  EXPECT_EQ(json::serialize(chat::refusal_json({chat::ErrorCode::not_found, "no such room", std::nullopt})),
            R"({"ok":false,"error":"not_found","message":"no such room"})");
  EXPECT_EQ(json::serialize(chat::refusal_json(
                {chat::ErrorCode::rate_limited, "slow down", std::chrono::milliseconds(0)})),
            R"({"ok":false,"error":"rate_limited","message":"slow down","retryAfterMs":1})");
  EXPECT_EQ(json::serialize(chat::refusal_body({chat::ErrorCode::forbidden, "private", std::nullopt})),
            R"({"error":"forbidden","message":"private"})");
}

TEST(ChatViews, EveryErrorCodeHasItsProtocolName) {
  EXPECT_EQ(chat::error_code_name(chat::ErrorCode::too_many_rooms), "too_many_rooms");
  EXPECT_EQ(chat::error_code_name(chat::ErrorCode::storage_unavailable), "storage_unavailable");
  EXPECT_EQ(chat::error_code_name(chat::ErrorCode::invalid_text), "invalid_text");
}

TEST(ChatViews, BudgetsKeepAtLeastOneMessageFromEitherEnd) {
  const std::vector<store::Message> messages{message(1, "a"), message(2, std::string(1000, 'b')), message(3, "c")};
  EXPECT_EQ(chat::oldest_within(messages, 0), 1u);
  EXPECT_EQ(chat::newest_within(messages, 0), 1u);
  EXPECT_EQ(chat::oldest_within(messages, 1u << 20), 3u);
  EXPECT_EQ(chat::newest_within(messages, 1u << 20), 3u);
  // The big one does not fit beside the first (from the oldest) nor beside the last (newest).
  const size_t two_small = chat::message_json_weight(messages[0]) + chat::message_json_weight(messages[2]);
  EXPECT_EQ(chat::oldest_within(messages, two_small), 1u);
  EXPECT_EQ(chat::newest_within(messages, two_small), 1u);
  EXPECT_EQ(chat::oldest_within({}, 100), 0u);
}

TEST(ChatViews, SyncAnswerListsMessagesAndWhatIsLeftByRoom) {
  chat::Missed missed;
  missed.rooms.emplace_back(7, std::vector<store::Message>{message(4, "d")});
  missed.rooms.emplace_back(9, std::vector<store::Message>{});
  missed.more.push_back(7);
  const json::object ack = chat::missed_ack(missed);
  EXPECT_TRUE(ack.at("ok").as_bool());
  EXPECT_EQ(ack.at("messages").at("7").as_array().size(), 1u);
  EXPECT_EQ(ack.at("messages").at("9").as_array().size(), 0u);
  EXPECT_EQ(json::serialize(ack.at("more")), R"({"7":true})");
  EXPECT_FALSE(chat::missed_ack(chat::Missed{}).contains("more"));
}

TEST(ChatViews, APostedMessageIsAcknowledgedWithoutItsDuplicateFlag) {
  const json::object ack = chat::posted_ack({message(1, "hi"), true});
  EXPECT_EQ(ack.size(), 2u);
  EXPECT_EQ(ack.at("message").at("text").as_string(), "hi");
}

}  // namespace
