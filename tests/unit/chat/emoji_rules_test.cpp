// What reaction:set accepts as an emoji, and the one form it counts it under
// (chat/emoji_rules.hpp).
#include <gtest/gtest.h>

#include "chat/emoji_rules.hpp"

namespace {

using dchat::chat::canonical_emoji;

TEST(EmojiRules, OneRgiEmojiIsAcceptedAsItIs) {
  for (const char* emoji : {"👍", "🎉", "❤️", "👍🏽", "🇫🇷", "1️⃣", "#️⃣", "👩‍💻", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "©️", "😀"})
    EXPECT_EQ(canonical_emoji(emoji), emoji) << emoji;
}

TEST(EmojiRules, VariationSelectorSixteenIsNormalised) {
  EXPECT_EQ(canonical_emoji("❤"), "❤️") << "a text-style heart is the heart";
  EXPECT_EQ(canonical_emoji("👍\xEF\xB8\x8F"), "👍") << "a thumb with a needless FE0F is the thumb";
  EXPECT_EQ(canonical_emoji("©"), "©️");
}

TEST(EmojiRules, TextSeveralEmojiInventedSequencesAndBrokenBytesAreRefused) {
  for (const char* text : {"", "a", "1", "#", "ok", "👍👍", "👍 ", " 👍", "<b>", "\u200d", "\ufe0f", "🇫",
                           "👍\u200d👍\u200d👍", "👍\U000E0067\U000E007F", "\xf0\x9f\x91"})
    EXPECT_FALSE(canonical_emoji(text)) << text;
  EXPECT_FALSE(canonical_emoji(std::string(100, 'x')));
  EXPECT_FALSE(canonical_emoji(std::string_view("\0", 1)));
}

}  // namespace
