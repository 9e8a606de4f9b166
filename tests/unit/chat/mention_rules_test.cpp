// Who a message's text mentions (chat/mention_rules.hpp): @name, @[name with spaces], @room,
// never in code or inside a word; names compared as the store compares them.
#include <gtest/gtest.h>

#include "chat/mention_rules.hpp"

namespace {

using dchat::chat::kMaxMentionNames;
using dchat::chat::mentions_in;
using V = std::vector<std::string>;

TEST(MentionRules, ReadsNamesAsTheirKeys) {
  EXPECT_EQ(mentions_in("hi @bob").name_keys, (V{"bob"}));
  EXPECT_EQ(mentions_in("@Bob and @ALICE").name_keys, (V{"bob", "alice"})) << "case-insensitive, as names are";
  EXPECT_EQ(mentions_in("@ＢＯＢ").name_keys, (V{"bob"})) << "NFKC, as names are";
  EXPECT_EQ(mentions_in("@bob @bob @Bob").name_keys, (V{"bob"})) << "each name once";
  EXPECT_EQ(mentions_in("@[Mary Ann] look").name_keys, (V{"mary ann"}));
  EXPECT_EQ(mentions_in("@yuki ゆき").name_keys, (V{"yuki"})) << "a plain @name ends at white space";
  EXPECT_EQ(mentions_in("@\u00e9lo\u00efse").name_keys, (V{"\u00e9lo\u00efse"}));
}

TEST(MentionRules, SentencePunctuationAfterANameIsNotPartOfIt) {
  EXPECT_EQ(mentions_in("thanks @bob.").name_keys, (V{"bob"}));
  EXPECT_EQ(mentions_in("(@bob)").name_keys, (V{"bob"}));
  EXPECT_EQ(mentions_in("**@bob**").name_keys, (V{"bob"}));
  EXPECT_EQ(mentions_in("@bob, @carol!").name_keys, (V{"bob", "carol"}));
  EXPECT_EQ(mentions_in("@[bob.] hi").name_keys, (V{"bob."})) << "a name ending in punctuation";
  std::string list;
  for (int i = 0; i < 20; ++i) list += "@user" + std::to_string(i) + ", ";
  EXPECT_EQ(mentions_in(list).name_keys.size(), 20u) << "a comma-separated list: 20 names";
}

TEST(MentionRules, RoomMentionsEveryone) {
  EXPECT_TRUE(mentions_in("@room lunch?").room);
  EXPECT_TRUE(mentions_in("@Room!").room);
  EXPECT_TRUE(mentions_in("@room").name_keys.empty()) << "@room is not a name";
  EXPECT_FALSE(mentions_in("@rooms").room);
  EXPECT_EQ(mentions_in("@[room]").name_keys, (V{"room"})) << "a user named room";
  EXPECT_FALSE(mentions_in("@[room]").room);
}

TEST(MentionRules, NotInsideWordsOrCode) {
  EXPECT_TRUE(mentions_in("mail alice@example.com").empty());
  EXPECT_TRUE(mentions_in("x_@bob").empty());
  EXPECT_TRUE(mentions_in("x.@bob a/@bob mailto:@bob").empty()) << "as web/markdown.js reads them";
  EXPECT_TRUE(mentions_in("\u0928\u092e\u0938\u094d\u0924\u0947@bob").empty()) << "after a combining mark";
  EXPECT_TRUE(mentions_in("```\n@room\n````").empty()) << "a block closes at a longer fence";
  EXPECT_TRUE(mentions_in("run `git log @bob`").empty());
  EXPECT_TRUE(mentions_in("```\n@room\n```").empty());
  EXPECT_EQ(mentions_in("``a ` @x`` @bob").name_keys, (V{"bob"})) << "a span closes on a run of its own length";
  EXPECT_EQ(mentions_in("` @bob").name_keys, (V{"bob"})) << "an unclosed backtick is plain text";
  EXPECT_EQ(mentions_in("«@bob»").name_keys, (V{"bob»"})) << "punctuation before is fine (» is not ASCII)";
}

TEST(MentionRules, WhatIsNoNameMentionsNobody) {
  EXPECT_TRUE(mentions_in("no mention here").empty());
  EXPECT_TRUE(mentions_in("@ alone").empty());
  EXPECT_TRUE(mentions_in("@@@").empty());
  EXPECT_EQ(mentions_in("@[]").name_keys, (V{"["})) << "read as a plain @name: only a user of that name";
  EXPECT_TRUE(mentions_in("@" + std::string(200, 'a')).empty()) << "longer than any name";
  EXPECT_TRUE(mentions_in("@bob\u202e").name_keys.empty()) << "not a valid name";
  EXPECT_EQ(mentions_in("@[unclosed name").name_keys, (V{"[unclosed"})) << "then read as a plain @name";
  EXPECT_EQ(mentions_in("@bob's").name_keys, (V{"bob's"})) << "no possessives: bob's is a name of its own";
}

TEST(MentionRules, TakesAtMostTheLimitOfNames) {
  std::string text;
  for (int i = 0; i < 50; ++i) text += "@user" + std::to_string(i) + " ";
  EXPECT_EQ(mentions_in(text).name_keys.size(), kMaxMentionNames);
}

}  // namespace
