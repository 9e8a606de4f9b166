// The chat's rules that do not need a server: names, message text, presence counting and the
// session cookie (sign-in limits: sign_in_limits_test.cpp).
#include <gtest/gtest.h>

#include "chat/credentials.hpp"
#include "chat/message_rules.hpp"
#include "chat/presence.hpp"
#include "http/cookies.hpp"

namespace {

using namespace dchat;

TEST(ChatNames, AreTrimmedAndBounded) {
  EXPECT_EQ(chat::normalize_name("  alice \t"), "alice");
  EXPECT_EQ(chat::normalize_name(std::string(32, 'x')), std::string(32, 'x'));
  EXPECT_FALSE(chat::normalize_name(std::string(33, 'x')));
  // 32 characters, 64 bytes: characters count, not bytes.
  std::string accented;
  for (int i = 0; i < 32; ++i) accented += "\xC3\xA9";
  EXPECT_EQ(chat::normalize_name(accented), accented);
  EXPECT_FALSE(chat::normalize_name(""));
  EXPECT_FALSE(chat::normalize_name("   "));
  EXPECT_FALSE(chat::normalize_name("a\x01b"));
  EXPECT_FALSE(chat::normalize_name("a\x7f"));
  EXPECT_FALSE(chat::normalize_name("bad \xC3"));  // invalid UTF-8
}

TEST(ChatMessages, TextIsTrimmedAndLimitedTo4000Characters) {
  EXPECT_EQ(chat::normalize_message_text("  hi\n"), "hi");
  EXPECT_EQ(chat::normalize_message_text("<script>alert(1)</script>"), "<script>alert(1)</script>");
  EXPECT_TRUE(chat::normalize_message_text(std::string(4000, 'a')));
  EXPECT_FALSE(chat::normalize_message_text(std::string(4001, 'a')));
  EXPECT_FALSE(chat::normalize_message_text(std::string(5000, 'a')));
  std::string emoji;
  for (int i = 0; i < 4000; ++i) emoji += "\xF0\x9F\x8E\x89";  // 4000 characters, 16000 bytes
  EXPECT_TRUE(chat::normalize_message_text(emoji));
  EXPECT_FALSE(chat::normalize_message_text(" \n\t "));
  EXPECT_FALSE(chat::normalize_message_text("\xFF"));
  EXPECT_EQ(chat::normalize_message_text("a\tb\r\nc"), "a\tb\r\nc");
  EXPECT_FALSE(chat::normalize_message_text(std::string("a\0b", 3)));
  EXPECT_FALSE(chat::normalize_message_text("a\x1b[31mred"));
  EXPECT_FALSE(chat::normalize_message_text("a\x7f"));
}

TEST(ChatPasswords, HashAndVerify) {
  const std::string hash = chat::hash_password("correct horse");
  EXPECT_TRUE(hash.starts_with("$argon2id$"));
  EXPECT_TRUE(chat::verify_password(hash, "correct horse"));
  EXPECT_FALSE(chat::verify_password(hash, "correct horse "));
  EXPECT_NE(chat::hash_password("correct horse"), hash);  // salted
  EXPECT_FALSE(chat::password_acceptable(""));
  EXPECT_FALSE(chat::password_acceptable(std::string(257, 'p')));
}

TEST(ChatSessions, TokensAreRandomAndOnlyTheirHashIsKept) {
  const std::string a = chat::new_session_token(), b = chat::new_session_token();
  EXPECT_NE(a, b);
  EXPECT_GE(a.size(), 43u);  // 256 bits in base64url
  EXPECT_EQ(chat::token_hash(a).size(), 64u);
  EXPECT_EQ(chat::token_hash(a), chat::token_hash(a));
  EXPECT_NE(chat::token_hash(a), chat::token_hash(b));
  EXPECT_EQ(chat::token_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ChatPresence, CountsConnectionsNotUsers) {
  chat::Presence presence;
  const boost::json::object alice{{"id", 1}, {"name", "alice"}};
  EXPECT_TRUE(presence.join(7, 1, alice));
  EXPECT_FALSE(presence.join(7, 1, alice));  // a second tab
  EXPECT_EQ(presence.online(7).size(), 1u);
  EXPECT_FALSE(presence.leave(7, 1));
  EXPECT_EQ(presence.online(7).size(), 1u);
  EXPECT_TRUE(presence.leave(7, 1));
  EXPECT_TRUE(presence.online(7).empty());
  EXPECT_FALSE(presence.leave(7, 1));  // unknown: no change
}

TEST(HttpCookies, FindsTheSessionCookie) {
  EXPECT_EQ(http::cookie_value("a=1; chat_session=tok; b=2", "chat_session"), "tok");
  EXPECT_EQ(http::cookie_value("chat_session=\"q\"", "chat_session"), "q");
  EXPECT_FALSE(http::cookie_value("xchat_session=tok", "chat_session"));
  EXPECT_FALSE(http::cookie_value("", "chat_session"));
  const std::string set = http::set_cookie("chat_session", "v", {3600, true});
  EXPECT_NE(set.find("HttpOnly"), std::string::npos);
  EXPECT_NE(set.find("SameSite=Lax"), std::string::npos);
  EXPECT_NE(set.find("Secure"), std::string::npos);
  EXPECT_NE(set.find("Max-Age=3600"), std::string::npos);
  EXPECT_EQ(http::set_cookie("c", "", {0, false}).find("Secure"), std::string::npos);
  EXPECT_NE(set.find("Path=/;"), std::string::npos);
  EXPECT_NE(http::set_cookie("d", "v", {60, false, "/api/session"}).find("Path=/api/session;"), std::string::npos);
}

}  // namespace
