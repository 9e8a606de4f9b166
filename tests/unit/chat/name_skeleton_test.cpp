// Names that look alike have equal UTS #39 skeletons (store/name_skeleton.hpp), which is what
// the stores' UNIQUE name_skeleton column compares.
#include <gtest/gtest.h>

#include "store/name_skeleton.hpp"

namespace {

using dchat::store::name_skeleton;

TEST(NameSkeleton, LookAlikesAreEqual) {
  EXPECT_EQ(name_skeleton("\u0430lice"), name_skeleton("alice")) << "Cyrillic а";
  EXPECT_EQ(name_skeleton("p\u0430ypal"), name_skeleton("paypal"));
  EXPECT_EQ(name_skeleton("\u0440\u0430\u0443\u0440\u0430l"), name_skeleton("paypal")) << "Cyrillic р а у р а + l";
  EXPECT_EQ(name_skeleton("\u0430\u0441\u0435"), name_skeleton("ace")) << "all Cyrillic";
  EXPECT_EQ(name_skeleton("m"), name_skeleton("rn")) << "as ICU's confusables define it";
  EXPECT_EQ(name_skeleton("modern"), name_skeleton("modem"));
  EXPECT_EQ(name_skeleton("bob1"), name_skeleton("bobl"));
  EXPECT_EQ(name_skeleton("a1ice"), name_skeleton("alice"));
  EXPECT_EQ(name_skeleton("g\u0435neral"), name_skeleton("general")) << "Cyrillic е";
}

TEST(NameSkeleton, CaseCompatibilityFormsAndInvisiblesDoNotCount) {
  EXPECT_EQ(name_skeleton("ALICE"), name_skeleton("alice"));
  EXPECT_EQ(name_skeleton("ＡＬＩＣＥ"), name_skeleton("alice"));
  EXPECT_EQ(name_skeleton("Stra\u00dfe"), name_skeleton("STRASSE"));
  EXPECT_EQ(name_skeleton("e\u0301cole"), name_skeleton("\u00e9cole"));
  EXPECT_EQ(name_skeleton("alice\u200b"), name_skeleton("alice")) << "older rows may hold such names";
  EXPECT_EQ(name_skeleton("\u3164alice"), name_skeleton("alice"));
}

TEST(NameSkeleton, DifferentNamesStayDifferent) {
  EXPECT_NE(name_skeleton("alice"), name_skeleton("bob"));
  EXPECT_NE(name_skeleton("alice"), name_skeleton("alice2"));
  EXPECT_NE(name_skeleton("\u00e9mile"), name_skeleton("emile")) << "an accent is not a look-alike";
  EXPECT_NE(name_skeleton("ann"), name_skeleton("anna"));
  EXPECT_NE(name_skeleton("\u4e2d\u6587"), name_skeleton("\u4e2d"));
}

TEST(NameSkeleton, InvalidUtf8IsComparedWithReplacementCharacters) {
  EXPECT_EQ(name_skeleton(std::string("a\xFF", 2)), name_skeleton("a\uFFFD"));
}

}  // namespace
