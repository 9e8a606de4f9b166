// AttemptTable: attempts counted in flight from admit() to end(), entries forgotten once they hold
// nothing, and a full table that makes room instead of growing.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "core/attempt_table.hpp"

namespace {

using dchat::core::AttemptTable;
using std::chrono::seconds;

struct Entry : dchat::core::AttemptCounts {
  bool expired = false;
};

// A rule for the tests: at most `limit` failures plus attempts in flight.
struct Limit {
  size_t limit = 2;
  seconds operator()(Entry& e) const { return e.failures + e.in_flight < limit ? seconds(0) : seconds(7); }
};
const auto kExpired = [](const Entry& e) { return e.expired; };
const auto kFailed = [](Entry& e) { ++e.failures; };
const auto kNothing = [](Entry&) {};

TEST(AttemptTable, CountsAdmittedAttemptsInFlightUntilTheyEnd) {
  AttemptTable<Entry> table(10);
  EXPECT_EQ(table.admit("a", Limit{}, kExpired), seconds(0));
  EXPECT_EQ(table.admit("a", Limit{}, kExpired), seconds(0));
  // Two in flight: the rule sees them and refuses a third, which is not counted.
  EXPECT_EQ(table.admit("a", Limit{}, kExpired), seconds(7));
  EXPECT_EQ(table.admit("b", Limit{}, kExpired), seconds(0));  // keys are separate
  EXPECT_EQ(table.size(), 2u);

  table.end("a", kNothing);
  EXPECT_EQ(table.admit("a", Limit{}, kExpired), seconds(0));
}

TEST(AttemptTable, ForgetsAnEntryLeftWithNeitherFailuresNorAttemptsInFlight) {
  AttemptTable<Entry> table(10);
  ASSERT_EQ(table.admit("a", Limit{}, kExpired), seconds(0));
  ASSERT_EQ(table.admit("a", Limit{}, kExpired), seconds(0));
  table.end("a", kFailed);
  EXPECT_EQ(table.size(), 1u);  // one failure and one attempt still held
  table.end("a", [](Entry& e) {
    EXPECT_EQ(e.in_flight, 0u);  // no longer counted when the rule records the outcome
    e.failures = 0;              // e.g. a success that resets the key
  });
  EXPECT_EQ(table.size(), 0u);
  table.end("a", kFailed);  // an end for a forgotten entry changes nothing
  EXPECT_EQ(table.size(), 0u);
}

TEST(AttemptTable, AFullTableDropsIdleAndExpiredEntriesFirst) {
  AttemptTable<Entry> table(3);
  ASSERT_EQ(table.admit("running", Limit{}, kExpired), seconds(0));
  ASSERT_EQ(table.admit("failed", Limit{}, kExpired), seconds(0));
  table.end("failed", kFailed);
  ASSERT_EQ(table.admit("old", Limit{}, kExpired), seconds(0));
  table.end("old", [](Entry& e) {
    ++e.failures;
    e.expired = true;
  });
  ASSERT_EQ(table.size(), 3u);

  // A new key: only the expired entry goes.
  EXPECT_EQ(table.admit("new", Limit{}, kExpired), seconds(0));
  EXPECT_EQ(table.size(), 3u);
  table.end("old", kFailed);  // forgotten
  EXPECT_EQ(table.size(), 3u);
  // A key already held never makes room.
  EXPECT_EQ(table.admit("failed", Limit{}, kExpired), seconds(0));
  EXPECT_EQ(table.size(), 3u);
}

TEST(AttemptTable, AFullTableOfUnexpiredFailuresForgetsThemButKeepsAttemptsInFlight) {
  AttemptTable<Entry> table(3);
  ASSERT_EQ(table.admit("running", Limit{}, kExpired), seconds(0));
  for (const char* key : {"f1", "f2"}) {
    ASSERT_EQ(table.admit(key, Limit{}, kExpired), seconds(0));
    table.end(key, kFailed);
  }
  EXPECT_EQ(table.admit("new", Limit{}, kExpired), seconds(0));
  EXPECT_EQ(table.size(), 2u);  // "running" and "new"
  // "running" is still counted: its second attempt is the last the rule lets through.
  EXPECT_EQ(table.admit("running", Limit{}, kExpired), seconds(0));
  EXPECT_EQ(table.admit("running", Limit{}, kExpired), seconds(7));
}

}  // namespace
