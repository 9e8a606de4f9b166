// What a search query becomes (chat/search_words.hpp): words of letters, digits and marks only.
#include <gtest/gtest.h>

#include "chat/search_words.hpp"

namespace {

using dchat::chat::search_words;
using V = std::vector<std::string>;

TEST(SearchWords, SplitsOnEverythingButLettersDigitsAndMarks) {
  EXPECT_EQ(search_words("deploy failed"), (V{"deploy", "failed"}));
  EXPECT_EQ(search_words("  \"deploy\" OR (failed)* -x"), (V{"deploy", "OR", "failed", "x"}));
  EXPECT_EQ(search_words("e\u0301t\u00e9 ünïcode 東京 42"), (V{"e\u0301t\u00e9", "ünïcode", "東京", "42"}));
  EXPECT_EQ(search_words("a a A"), (V{"a", "A"})) << "duplicates dropped (case is the store's to fold)";
  EXPECT_EQ(search_words("1 2 3 4 5 6 7 8 9 10 11 12")->size(), 10u);
}

TEST(SearchWords, RefusesQueriesWithoutWordsOrTooLongOrNotText) {
  EXPECT_FALSE(search_words(""));
  EXPECT_FALSE(search_words("  *** \"\" () "));
  EXPECT_FALSE(search_words(std::string(201, 'a')));
  EXPECT_TRUE(search_words(std::string(200, 'a')));
  EXPECT_FALSE(search_words("ok \xff"));
}

}  // namespace
