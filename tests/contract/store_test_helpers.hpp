#pragma once
// Small checks the Store tests share: which StoreError a call throws, whether a name was refused
// as taken, the seqs or ids of what a call returned, what the schema v3 backfill must keep, and
// how a test turns a migrated database back into one an earlier release wrote.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace dchat::store::contract {

// The kind of StoreError `action` throws, or nullopt when it throws none.
template <class Action>
std::optional<StoreError::Kind> thrown_kind(Action&& action) {
  try {
    action();
  } catch (const StoreError& e) {
    return e.kind;
  }
  return std::nullopt;
}

// Whether create_user / create_public_room refused the name as taken (or looking taken).
template <class T>
bool is_taken(const NameResult<T>& result) {
  return !result.has_value() && result.error() == NameTaken::taken;
}

inline std::vector<int64_t> seqs_of(const std::vector<Message>& messages) {
  std::vector<int64_t> seqs;
  for (const Message& m : messages) seqs.push_back(m.seq);
  return seqs;
}

inline std::vector<int64_t> range(int64_t first, int64_t last) {
  std::vector<int64_t> out;
  for (int64_t i = first; i <= last; ++i) out.push_back(i);
  return out;
}

inline std::set<int64_t> ids_of(const std::vector<Room>& rooms) {
  std::set<int64_t> ids;
  for (const Room& r : rooms) ids.insert(r.id);
  return ids;
}

// One schema version as a test takes it out of a migrated database: the statements that undo it
// (its schema_migrations row is deleted after them).
struct SchemaRevert {
  int version;
  std::vector<std::string> statements;
};

// Undoes the versions in `reverts` (newest first) that are above `version`, running each
// statement with `exec(statement)`: the database then looks like one a release with schema
// `version` wrote.
template <class Exec>
void revert_schema_to(int version, const std::vector<SchemaRevert>& reverts, Exec&& exec) {
  for (const SchemaRevert& revert : reverts) {
    if (revert.version <= version) continue;
    for (const std::string& statement : revert.statements) exec(statement);
    exec("DELETE FROM schema_migrations WHERE version = " + std::to_string(revert.version));
  }
}

// After the migration to schema v3 (name skeletons), through the Store: the rows an earlier
// release could hold (users 1..7: "alice", "\u0430lice", "alice\u200b", "ｆｕｌｌ", "Jose\u0301",
// "Ａ"/"Ｂ" with traded keys; public rooms 1 "general" and 2 its look-alike, DM 3 between users 1
// and 2; user 2's session "t2" and message in room 2) are all still usable. SqliteStore's and
// PgStore's migration tests write those rows and check the columns themselves.
inline void expect_old_names_usable_after_version_3(Store& store, int64_t now) {
  // Look-alikes of older names are still their accounts, with their sessions and messages.
  EXPECT_EQ(store.find_user_by_name("\u0430lice")->id, 2);
  EXPECT_EQ(store.find_user_by_name("alice\u200b")->id, 3);
  EXPECT_TRUE(store.find_session("t2", now).has_value());
  EXPECT_EQ(store.messages_after(2, 0, 10).at(0).author_name, "\u0430lice");
  // Names in NFKC now, found by what their owners type (NFKC-normalised by the name rules).
  EXPECT_EQ(store.find_user_by_name("full")->name, "full");
  EXPECT_EQ(store.find_user_by_name("Jos\u00e9")->id, 5);
  EXPECT_EQ(store.find_user_by_name("a")->id, 6);
  EXPECT_EQ(store.find_user_by_name("b")->id, 7);
  // New look-alikes are refused, whichever of the old rows they resemble.
  for (const char* name : {"a1ice", "ALICE", "\u0430lice", "FULL"}) {
    EXPECT_TRUE(is_taken(store.create_user(name, "h", now))) << name;
  }
  EXPECT_EQ(store.create_user("bob", "h", now).value().name, "bob");
  // Rooms: each old one keeps its name; a new look-alike joins the oldest.
  EXPECT_EQ(store.ensure_public_room("general", 0, now).id, 1);
  EXPECT_EQ(store.ensure_public_room("g\u0435neral", 0, now).id, 2);
  EXPECT_EQ(store.ensure_public_room("genera1", 0, now).id, 1);
  EXPECT_EQ(store.direct_room(1, 2, now).id, 3);
}

}  // namespace dchat::store::contract
