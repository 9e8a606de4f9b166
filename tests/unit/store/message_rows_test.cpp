// What both stores share about message rows (store/message_rows.hpp): a reply's quote excerpt
// and how reaction rows are grouped onto their messages.
#include <gtest/gtest.h>

#include "store/message_rows.hpp"

namespace {

using namespace dchat::store;

TEST(QuoteExcerpt, IsTheFirstLineCutOnACharacterBoundary) {
  EXPECT_EQ(quote_excerpt("first\nsecond"), "first");
  EXPECT_EQ(quote_excerpt("only"), "only");
  EXPECT_EQ(quote_excerpt(""), "");
  EXPECT_EQ(quote_excerpt(std::string(kQuoteBytes, 'a')), std::string(kQuoteBytes, 'a'));
  EXPECT_EQ(quote_excerpt(std::string(kQuoteBytes + 1, 'a')), std::string(kQuoteBytes, 'a') + "\u2026");
  // "é" is two bytes: a cut through it backs off to the character's start.
  std::string accents;
  while (accents.size() < kQuoteBytes + 10) accents += "é";
  const std::string cut = quote_excerpt("x" + accents);
  EXPECT_EQ(cut.size(), kQuoteBytes - 1 + std::string("\u2026").size());
  EXPECT_EQ(cut.substr(0, 3), "xé");
}

TEST(AttachReactions, GroupsRowsByEmojiWithTheirCountAndAtMostTheShownUsers) {
  std::vector<Message> messages(2);
  messages[0].seq = 4;
  messages[1].seq = 9;
  // As the query returns them: by seq, emoji in the order first used, each row with its count.
  std::vector<ReactionRow> rows{{4, "🎉", 2, 1, "a"}, {4, "🎉", 2, 3, "c"}, {4, "👍", 1, 2, "b"}, {7, "👍", 1, 1, "x"},
                                {9, "👍", 1, 1, "a"}};
  for (int i = 0; i < 12; ++i) rows.push_back(ReactionRow{9, "🚀", 60, 100 + i, "u"});
  attach_reactions(messages, 0, rows);
  ASSERT_EQ(messages[0].reactions.size(), 2u);
  EXPECT_EQ(messages[0].reactions[0].emoji, "🎉");
  EXPECT_EQ(messages[0].reactions[0].count, 2);
  EXPECT_EQ(messages[0].reactions[0].users[1].id, 3);
  EXPECT_EQ(messages[0].reactions[1].emoji, "👍");
  ASSERT_EQ(messages[1].reactions.size(), 2u);
  EXPECT_EQ(messages[1].reactions[1].count, 60);
  EXPECT_EQ(messages[1].reactions[1].users.size(), kReactorsShown);
  EXPECT_EQ(json_array(seqs_in(messages, 0)), "[4,9]");
}

}  // namespace
