// The schema v3 backfill plan (store/name_backfill.hpp): what existing names become, and that
// no combination of existing names makes the migration fail (unique keys, unique skeletons).
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "store/name_backfill.hpp"
#include "store/name_key.hpp"
#include "store/name_skeleton.hpp"

namespace {

using namespace dchat::store;

// A row as an earlier release stored it: name_key computed from the name as it was.
NameRow legacy(int64_t id, const std::string& name) { return NameRow{id, name, name_key(name)}; }

void expect_unique_keys_and_skeletons(const NameBackfill& plan) {
  std::set<std::string> keys, skeletons;
  for (const NameRowUpdate& row : plan.rows) {
    EXPECT_TRUE(keys.insert(row.key).second) << "duplicate key for id " << row.id;
    if (row.skeleton) {
      EXPECT_TRUE(skeletons.insert(*row.skeleton).second) << "duplicate skeleton for id " << row.id;
    }
  }
}

TEST(NameBackfill, NormalNamesOnlyGainTheirSkeleton) {
  const NameBackfill plan = plan_name_backfill({legacy(1, "alice"), legacy(2, "Bob"), legacy(3, "Борис")});
  ASSERT_EQ(plan.rows.size(), 3u);
  EXPECT_EQ(plan.rows[1].name, "Bob");
  EXPECT_EQ(plan.rows[1].key, "bob");
  EXPECT_FALSE(plan.rows[1].key_changed);
  EXPECT_EQ(plan.rows[1].skeleton, name_skeleton("bob"));
  EXPECT_TRUE(plan.kept_unnormalized.empty());
  EXPECT_TRUE(plan.without_skeleton.empty());
  expect_unique_keys_and_skeletons(plan);
}

TEST(NameBackfill, NamesAreBroughtIntoNfkcWithTheirKey) {
  const NameBackfill plan = plan_name_backfill({legacy(1, "ｆｕｌｌ"), legacy(2, "Jose\u0301")});
  EXPECT_EQ(plan.rows[0].name, "full");
  EXPECT_EQ(plan.rows[0].key, "full");
  EXPECT_TRUE(plan.rows[0].key_changed);
  EXPECT_EQ(plan.rows[1].name, "Jos\u00e9");
  EXPECT_EQ(plan.rows[1].key, "jos\u00e9");
  EXPECT_TRUE(plan.kept_unnormalized.empty());
}

TEST(NameBackfill, LookAlikesKeepWorkingAndTheOldestHoldsTheSkeleton) {
  const NameBackfill plan =
      plan_name_backfill({legacy(1, "alice"), legacy(2, "\u0430lice"), legacy(3, "alice\u200b"), legacy(4, "bob")});
  EXPECT_EQ(plan.rows[0].skeleton, name_skeleton("alice"));
  EXPECT_FALSE(plan.rows[1].skeleton.has_value());
  EXPECT_FALSE(plan.rows[2].skeleton.has_value());
  EXPECT_EQ(plan.without_skeleton, (std::vector<int64_t>{2, 3}));
  // Still found by their own keys, unchanged.
  EXPECT_EQ(plan.rows[1].key, name_key("\u0430lice"));
  EXPECT_EQ(plan.rows[2].name, "alice\u200b");
  expect_unique_keys_and_skeletons(plan);
}

TEST(NameBackfill, ANameWhoseNfkcFormIsTakenKeepsItsOldForm) {
  const NameBackfill plan = plan_name_backfill({legacy(1, "ｆｕｌｌ"), legacy(2, "full")});
  EXPECT_EQ(plan.rows[0].name, "ｆｕｌｌ") << "\"full\" is row 2's own name";
  EXPECT_EQ(plan.rows[0].key, name_key("ｆｕｌｌ"));
  EXPECT_FALSE(plan.rows[0].key_changed);
  EXPECT_EQ(plan.rows[1].key, "full");
  EXPECT_EQ(plan.kept_unnormalized, (std::vector<int64_t>{1}));
  EXPECT_EQ(plan.without_skeleton, (std::vector<int64_t>{2})) << "row 1 is older and looks the same";
  expect_unique_keys_and_skeletons(plan);
}

TEST(NameBackfill, RowsMayTradeKeys) {
  // Keys that do not match their names (hand-edited data): each row's new key is the other's old
  // one. The plan marks both as changed, so the stores write placeholders first.
  const NameBackfill plan = plan_name_backfill({NameRow{1, "Ａ", "b"}, NameRow{2, "Ｂ", "a"}});
  EXPECT_EQ(plan.rows[0].key, "a");
  EXPECT_EQ(plan.rows[1].key, "b");
  EXPECT_TRUE(plan.rows[0].key_changed && plan.rows[1].key_changed);
  EXPECT_NE(placeholder_name_key(1), placeholder_name_key(2));
  expect_unique_keys_and_skeletons(plan);
}

TEST(NameBackfill, ARowWithNoKeyLeftGetsAnUnreachableOneInsteadOfFailing) {
  // Row 2 wants "c" (row 3 has it) and its old key "a" went to row 1's new form.
  const NameBackfill plan = plan_name_backfill({NameRow{1, "Ａ", "zz"}, NameRow{2, "Ｃ", "a"}, NameRow{3, "c", "c"}});
  EXPECT_EQ(plan.rows[0].key, "a");
  EXPECT_EQ(plan.rows[1].name, "Ｃ");
  EXPECT_TRUE(plan.rows[1].key_changed);
  EXPECT_EQ(plan.unfindable, (std::vector<int64_t>{2}));
  EXPECT_EQ(plan.kept_unnormalized, (std::vector<int64_t>{2}));
  expect_unique_keys_and_skeletons(plan);
  // It can never be a key a real name produces: names have no control characters.
  EXPECT_LT(static_cast<unsigned char>(plan.rows[1].key[0]), 0x20);
}

TEST(NameBackfill, AnEmptyTableIsNothingToDo) {
  const NameBackfill plan = plan_name_backfill({});
  EXPECT_TRUE(plan.rows.empty());
}

}  // namespace
