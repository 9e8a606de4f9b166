// The name rules of issue #9 (chat/name_rules.hpp): NFKC, the refused character classes, the
// length and letter rules and ICU's UTS #39 checks, each with the problem the user is told.
#include <gtest/gtest.h>

#include <string>

#include "chat/name_rules.hpp"

namespace {

using dchat::chat::check_name;
using dchat::chat::normalize_name;

// The problem check_name reports for `raw` ("" when the name is accepted).
std::string problem(const std::string& raw) { return check_name(raw).problem; }

// Whether the name is refused with a problem that mentions `words`.
::testing::AssertionResult refused_for(const std::string& raw, const std::string& words) {
  const auto check = check_name(raw);
  if (check.ok()) return ::testing::AssertionFailure() << "accepted as \"" << check.name << "\"";
  if (check.problem.find(words) == std::string::npos) {
    return ::testing::AssertionFailure() << "refused, but for: " << check.problem;
  }
  return ::testing::AssertionSuccess();
}

TEST(NameRules, AreNfkcNormalisedAndTrimmed) {
  EXPECT_EQ(normalize_name("ＡＬＩＣＥ"), "ALICE") << "fullwidth letters";
  EXPECT_EQ(normalize_name("e\u0301cole"), "\u00e9cole") << "e + combining acute is é";
  EXPECT_EQ(normalize_name("\ufb01sh"), "fish") << "the fi ligature";
  EXPECT_EQ(normalize_name("\u00a0alice\u3000"), "alice") << "NBSP and the ideographic space become spaces";
  EXPECT_EQ(normalize_name("  alice \t"), "alice");
  EXPECT_EQ(normalize_name("Mary Ann"), "Mary Ann") << "inner spaces stay";
  EXPECT_EQ(normalize_name("\u2167"), "VIII") << "the Roman numeral eight";
}

TEST(NameRules, AcceptOrdinaryNamesInManyScripts) {
  for (const char* name : {"alice", "Émile", "José", "user_1", "Борис", "Νίκος", "中文", "yuki ゆき", "Ali علي",
                           "שלום", "김민수 Kim", "O'Brien", "d-j"}) {
    EXPECT_EQ(problem(name), "") << name;
  }
}

TEST(NameRules, RefuseControlCharactersC0AndC1) {
  EXPECT_TRUE(refused_for("a\x01" "b", "control character (U+0001)"));
  EXPECT_TRUE(refused_for("a\x7f", "control character (U+007F)"));
  EXPECT_TRUE(refused_for("ali\u0085ce", "control character (U+0085)"));
  EXPECT_TRUE(refused_for("alice\u0085", "control character (U+0085)")) << "NEL is white space, yet refused, not trimmed";
  EXPECT_TRUE(refused_for("\u009balice", "control character (U+009B)")) << "CSI";
  EXPECT_TRUE(refused_for("a\nb", "control character (U+000A)")) << "a line break inside";
}

TEST(NameRules, RefuseBidiControls) {
  EXPECT_TRUE(refused_for("\u202eecila", "bidirectional control character (U+202E)"));
  for (const char* name : {"a\u202ab", "a\u202bb", "a\u202cb", "a\u202db", "a\u2066b", "a\u2067b", "a\u2068b",
                           "a\u2069b", "alice\u200e", "\u200falice", "a\u061cb"}) {
    EXPECT_TRUE(refused_for(name, "bidirectional control character")) << name;
  }
}

TEST(NameRules, RefuseZeroWidthAndOtherFormatCharacters) {
  EXPECT_TRUE(refused_for("alice\u200b", "invisible formatting character (U+200B)"));
  EXPECT_TRUE(refused_for("al\u200dice", "invisible formatting character (U+200D)")) << "zero-width joiner";
  EXPECT_TRUE(refused_for("al\u200cice", "invisible formatting character (U+200C)")) << "zero-width non-joiner";
  EXPECT_TRUE(refused_for("\ufeffalice", "invisible formatting character (U+FEFF)")) << "BOM";
  EXPECT_TRUE(refused_for("al\u00adice", "invisible formatting character (U+00AD)")) << "soft hyphen";
  EXPECT_TRUE(refused_for("alice\U000E0041", "invisible formatting character (U+E0041)")) << "a tag character";
}

TEST(NameRules, RefuseDefaultIgnorableAndBlankCharacters) {
  EXPECT_TRUE(refused_for("\u3164", "invisible character (U+3164)")) << "Hangul filler";
  EXPECT_TRUE(refused_for("\u115f", "invisible character (U+115F)")) << "Hangul choseong filler";
  EXPECT_TRUE(refused_for("alice\u3164", "invisible character (U+3164)"));
  EXPECT_TRUE(refused_for("\uffa0", "invisible character (U+FFA0)")) << "the halfwidth filler, named as typed";
  EXPECT_TRUE(refused_for("alice\ufe00", "invisible character (U+FE00)")) << "variation selector";
  EXPECT_TRUE(refused_for("alice\U000E0100", "invisible character (U+E0100)")) << "ideographic variation selector";
  EXPECT_TRUE(refused_for("a\u034fb", "invisible character (U+034F)")) << "combining grapheme joiner";
  EXPECT_TRUE(refused_for("\u2800", "blank character (U+2800)")) << "the blank Braille pattern";
  EXPECT_TRUE(refused_for("alice\u2800", "blank character (U+2800)"));
}

TEST(NameRules, EmojiPresentationSelectorsAreDroppedNotRefused) {
  // Phone keyboards write "❤️" as U+2764 U+FE0F.
  EXPECT_EQ(dchat::chat::check_name("\u2764\ufe0f").name, "\u2764");
  EXPECT_EQ(dchat::chat::check_name("alice\ufe0f").name, "alice");
  EXPECT_EQ(dchat::chat::check_name("\u2764\ufe0e").name, "\u2764");
  EXPECT_FALSE(dchat::chat::check_name("\ufe0f").ok()) << "nothing left";
}

TEST(NameRules, RefuseSeparatorsPrivateUseUnassignedAndBadUtf8) {
  EXPECT_TRUE(refused_for("a\u2028b", "line or paragraph separator (U+2028)"));
  EXPECT_TRUE(refused_for("alice\u2029", "line or paragraph separator (U+2029)"));
  EXPECT_TRUE(refused_for("a\ue000", "private-use character (U+E000)"));
  EXPECT_TRUE(refused_for("a\U000F0000", "private-use character (U+F0000)"));
  EXPECT_TRUE(refused_for("a\u0378", "unassigned code point (U+0378)"));
  EXPECT_TRUE(refused_for("a\ufffe", "unassigned code point (U+FFFE)")) << "a noncharacter";
  EXPECT_TRUE(refused_for("bad \xC3", "not valid UTF-8"));
  EXPECT_TRUE(refused_for("\xED\xA0\x80", "not valid UTF-8")) << "an encoded surrogate";
}

TEST(NameRules, NeedSomethingVisibleAndAtMost32Characters) {
  EXPECT_TRUE(refused_for("", "is empty"));
  EXPECT_TRUE(refused_for(" \t\u00a0\u3000 ", "is empty"));
  EXPECT_TRUE(refused_for("\u0301\u0301", "nothing visible")) << "only combining marks";
  EXPECT_TRUE(refused_for(" \u0301 ", "nothing visible"));
  EXPECT_EQ(problem("\U0001F600"), "") << "an emoji is a visible name";
  EXPECT_EQ(problem("R2D2"), "");
  EXPECT_EQ(problem("7"), "");
  EXPECT_EQ(normalize_name(std::string(32, 'x')), std::string(32, 'x'));
  EXPECT_TRUE(refused_for(std::string(33, 'x'), "too long"));
  // Characters are counted after NFKC: one ligature U+FDFA is 18 characters.
  EXPECT_EQ(problem("\ufdfa"), "");
  EXPECT_TRUE(refused_for("\ufdfa\ufdfa", "too long"));
  std::string accented;
  for (int i = 0; i < 32; ++i) accented += "e\u0301";  // 64 code points typed, 32 after NFKC
  EXPECT_EQ(problem(accented), "");
  EXPECT_TRUE(refused_for(std::string(2000, ' ') + "a", "too long")) << "huge input is refused unread";
}

TEST(NameRules, RefuseLatinMixedWithLookAlikeScripts) {
  EXPECT_TRUE(refused_for("\u0430lice", "mixes Cyrillic and Latin letters")) << "Cyrillic а";
  EXPECT_TRUE(refused_for("p\u0430ypal", "mixes Latin and Cyrillic letters"));
  EXPECT_TRUE(refused_for("g\u0435neral", "mixes Latin and Cyrillic letters"));
  EXPECT_TRUE(refused_for("Sophia \u03a3\u03bf\u03c6\u03af\u03b1", "mixes Latin and Greek letters"));
  // A whole name in one of those scripts is fine here; that "асе" (Cyrillic) looks like "ace"
  // is the store's skeleton rule.
  EXPECT_EQ(problem("\u0430\u0441\u0435"), "");
}

TEST(NameRules, RefuseMixedDigitsAndHiddenOrRepeatedMarks) {
  EXPECT_TRUE(refused_for("12\u0661", "digits of different number systems")) << "1 2 and Arabic-Indic one";
  EXPECT_TRUE(refused_for("i\u0307", "hides")) << "i + combining dot above";
  EXPECT_TRUE(refused_for("a\u0301\u0301", "repeats a combining mark"));
}

}  // namespace
