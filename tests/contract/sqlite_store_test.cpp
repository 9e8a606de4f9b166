// What only SqliteStore has, beyond the shared contract: the name fold, the recorded migrations,
// the connection settings, and how SQLite failures reach callers as StoreError kinds.
#include <sqlite3.h>

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "store/name_key.hpp"
#include "store/sqlite_store.hpp"
#include "store_test_helpers.hpp"
#include "temp_directory.hpp"

namespace dchat::store {
namespace {

using contract::TempDirectory;
using Kind = StoreError::Kind;
using contract::expect_old_names_usable_after_version_3;
using contract::is_taken;
using contract::revert_schema_to;
using contract::SchemaRevert;
using contract::thrown_kind;
constexpr int64_t kNow = 1'700'000'000'000;

// A second, raw connection to look at (or lock) the file behind the store's back.
class RawConnection {
 public:
  explicit RawConnection(const std::string& path) { sqlite3_open(path.c_str(), &db_); }
  ~RawConnection() { sqlite3_close(db_); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  int exec(const char* sql) { return sqlite3_exec(db_, sql, nullptr, nullptr, nullptr); }

  // The first column of the first row as text ("" when there is none).
  std::string scalar(const char* sql) {
    std::string out = rows(sql, 0);
    const size_t newline = out.find('\n');
    return newline == std::string::npos ? out : out.substr(0, newline);
  }

  // Column `column` of every row, as text, one line per row.
  std::string rows(const char* sql, int column) {
    sqlite3_stmt* stmt = nullptr;
    std::string out;
    if (sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr) != SQLITE_OK) return "prepare failed: " + std::string(sqlite3_errmsg(db_));
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      const auto* text = sqlite3_column_text(stmt, column);
      if (!out.empty()) out += "\n";
      if (text != nullptr) out += reinterpret_cast<const char*>(text);
    }
    sqlite3_finalize(stmt);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

// How each schema version is taken out of a migrated SQLite database, newest first.
const std::vector<SchemaRevert>& sqlite_reverts() {
  static const std::vector<SchemaRevert> reverts = {
      // v9, search indexed in batches: the v6 triggers again.
      {9,
       {"DROP TRIGGER messages_fts_update; DROP TRIGGER messages_fts_delete; DROP TABLE search_indexed;"
        "CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN "
        "INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text); END;"
        "CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages BEGIN "
        "INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text);"
        "INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text); END;"
        "CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN "
        "INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text); END;"}},
      // v8, attachments.
      {8, {"DROP TABLE attachments; ALTER TABLE messages DROP COLUMN attachments;"}},
      // v7, mentions.
      {7, {"DROP TABLE mentions; ALTER TABLE messages DROP COLUMN mentions;"}},
      // v6, full-text search.
      {6,
       {"DROP TRIGGER messages_fts_insert; DROP TRIGGER messages_fts_update; DROP TRIGGER messages_fts_delete;"
        "DROP TABLE messages_fts;"}},
      // v5, edits, deletes, replies, reactions, read positions: below it, a database a release
      // before issue #13 wrote.
      {5,
       {"DROP TABLE reactions; DROP INDEX messages_by_change;"
        "ALTER TABLE rooms DROP COLUMN last_change; ALTER TABLE messages DROP COLUMN reply_to;"
        "ALTER TABLE messages DROP COLUMN edited_at; ALTER TABLE messages DROP COLUMN deleted_at;"
        "ALTER TABLE messages DROP COLUMN change_seq; ALTER TABLE room_members DROP COLUMN read_seq;"}},
      // v4, shared secrets.
      {4, {"DROP TABLE shared_secrets;"}},
      // v3, name skeletons.
      {3,
       {"DROP INDEX users_by_skeleton; DROP INDEX rooms_by_skeleton;"
        "ALTER TABLE users DROP COLUMN name_skeleton; ALTER TABLE rooms DROP COLUMN name_skeleton;"}},
      // v2, blobs.
      {2, {"DROP TABLE blobs;"}},
  };
  return reverts;
}

constexpr const char* kVersions = "SELECT group_concat(version) FROM schema_migrations";
constexpr const char* kAllVersions = "1,2,3,4,5,6,7,8,9";

// A database file in a temporary directory of its own.
struct DatabaseFile {
  TempDirectory dir{"chatd-sqlite-test"};
  std::string path = (dir.path() / "chat.db").string();
};

// Leaves `db` as a release with schema `version` would have: migrated, written by `fill` (when
// given), then the later versions taken out behind the store's back.
void write_old_database(const DatabaseFile& db, int version, const std::function<void(SqliteStore&)>& fill = nullptr) {
  {
    SqliteStore store(db.path);
    store.migrate();
    if (fill) fill(store);
  }
  RawConnection raw(db.path);
  revert_schema_to(version, sqlite_reverts(), [&](const std::string& sql) { ASSERT_EQ(raw.exec(sql.c_str()), SQLITE_OK) << sql; });
}

// Writes alice's message `text` (client id `client_id`) to public room `room`: message 1 of room 1.
std::function<void(SqliteStore&)> one_message(std::string room, std::string text, std::string client_id = "") {
  return [=](SqliteStore& store) {
    const User alice = store.create_user("alice", "h", kNow).value();
    const Room r = store.ensure_public_room(room, 0, kNow);
    store.add_member(r.id, alice.id, kNow);
    store.append_message(r.id, alice.id, text, client_id, kNow);
  };
}

TEST(SqliteNameKey, FoldsAsciiAndCommonAlphabets) {
  EXPECT_EQ(name_key("Alice"), "alice");
  EXPECT_EQ(name_key("ALICE_42-x"), "alice_42-x");
  EXPECT_EQ(name_key(""), "");
  EXPECT_EQ(name_key("ÉMILE"), "émile");
  EXPECT_EQ(name_key("ÀÞ×ß"), "àþ×ß") << "× is not a letter; ß has no simple fold";
  EXPECT_EQ(name_key("ŸĀĹŽ"), "ÿāĺž");
  EXPECT_EQ(name_key("İ"), "i");
  EXPECT_EQ(name_key("ΣΟΦΙΑ ς"), "σοφια σ");
  EXPECT_EQ(name_key("ЁЛКА Дом"), "ёлка дом");
  EXPECT_EQ(name_key("ＡＢＣ"), "ａｂｃ");
  EXPECT_EQ(name_key("中文 😀"), "中文 😀");
}

TEST(SqliteNameKey, KeepsBytesThatAreNotUtf8) {
  EXPECT_EQ(name_key(std::string("\xFF" "AB", 3)), std::string("\xFF" "ab", 3));
  EXPECT_EQ(name_key(std::string("A\xC3", 2)), std::string("a\xC3", 2)) << "truncated sequence";
  EXPECT_EQ(name_key(std::string("\xC0\x81Z", 3)), std::string("\xC0\x81z", 3)) << "overlong";
  EXPECT_EQ(name_key(std::string("\xED\xA0\x80", 3)), std::string("\xED\xA0\x80", 3)) << "surrogate";
}

TEST(SqliteStore, RecordsEachMigrationOnce) {
  DatabaseFile db;
  {
    SqliteStore store(db.path);
    store.migrate();
    store.migrate();
    SqliteStore other(db.path);
    other.migrate();
  }
  RawConnection raw(db.path);
  EXPECT_EQ(raw.scalar(kVersions), kAllVersions);
  EXPECT_EQ(raw.scalar("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'messages_by_author_client'"), "1");
}

TEST(SqliteStore, MigrateAddsAttachmentsToAVersion7Database) {
  DatabaseFile db;
  ASSERT_NO_FATAL_FAILURE(write_old_database(db, 7, one_message("lounge", "before attachments")));
  SqliteStore store(db.path);
  store.migrate();
  const Message old = store.find_message(1, 1).value();
  EXPECT_EQ(old.text, "before attachments");
  EXPECT_TRUE(old.attachments.empty());
  RawConnection raw(db.path);
  EXPECT_EQ(raw.scalar(kVersions), kAllVersions);
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'attachments_unsent_by_age'"), "1");
}

TEST(SqliteStore, MigrateAddsBlobsToAVersion1Database) {
  DatabaseFile db;
  ASSERT_NO_FATAL_FAILURE(write_old_database(db, 1));
  SqliteStore store(db.path);
  store.migrate();
  const std::string bytes("blob\0with nul", 13);
  store.put_blob("id", bytes);
  store.put_blob("id", "other");  // an existing id keeps its bytes
  EXPECT_EQ(store.get_blob("id"), bytes);
  RawConnection raw(db.path);
  EXPECT_EQ(raw.scalar("SELECT typeof(bytes) FROM blobs WHERE id = 'id'"), "blob");
  EXPECT_EQ(raw.scalar(kVersions), kAllVersions);
  EXPECT_TRUE(store.delete_blob("id"));
  EXPECT_FALSE(store.delete_blob("id"));
}

TEST(SqliteStore, MigrationToVersion5KeepsMessagesAsTheyWere) {
  DatabaseFile db;
  ASSERT_NO_FATAL_FAILURE(write_old_database(db, 4, one_message("general", "before #13", "c-1")));
  SqliteStore store(db.path);
  store.migrate();
  const Message m = store.find_message(1, 1).value();
  EXPECT_EQ(m.text, "before #13");
  EXPECT_EQ(m.client_id, "c-1");
  EXPECT_EQ(m.change, 0);
  EXPECT_EQ(m.reply_to, 0);
  EXPECT_EQ(m.edited_at, 0);
  EXPECT_EQ(m.deleted_at, 0);
  EXPECT_TRUE(m.reactions.empty());
  EXPECT_EQ(store.find_room(1)->last_change, 0);
  EXPECT_EQ(store.rooms_of(1).at(0).read_seq, 1) << "existing members have read what was there";
  EXPECT_EQ(store.edit_message(1, 1, "after #13", kNow), 1);
  // The search index was built from what the database held, and follows the edit.
  EXPECT_EQ(store.index_search(100), 0u) << "indexed by the migration";
  EXPECT_EQ(store.search_messages(1, {"after"}, 0, 10).size(), 1u);
  EXPECT_TRUE(store.search_messages(1, {"before"}, 0, 10).empty());
}

TEST(SqliteStore, NewMessagesReachTheSearchIndexInBatchesOldestFirst) {
  SqliteStore store(":memory:");
  store.migrate();
  const User alice = store.create_user("alice", "h", kNow).value();
  const Room room = store.ensure_public_room("general", 0, kNow);
  store.add_member(room.id, alice.id, kNow);
  for (const char* text : {"kiwi one", "kiwi two", "kiwi three"}) store.append_message(room.id, alice.id, text, "", kNow);
  EXPECT_TRUE(store.search_messages(alice.id, {"kiwi"}, 0, 10).empty()) << "not indexed yet";
  EXPECT_EQ(store.index_search(2), 2u);
  const auto first = store.search_messages(alice.id, {"kiwi"}, 0, 10);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].text, "kiwi two");
  EXPECT_EQ(store.index_search(2), 1u);
  EXPECT_EQ(store.index_search(2), 0u);
  EXPECT_EQ(store.search_messages(alice.id, {"kiwi"}, 0, 10).size(), 3u);
  // Taken back with the group that indexed it: indexed again by the next run.
  store.append_message(room.id, alice.id, "kiwi four", "", kNow);
  store.begin_group();
  store.begin_group_job();
  EXPECT_EQ(store.index_search(10), 1u);
  store.end_group_job(false);
  store.commit_group();
  EXPECT_EQ(store.search_messages(alice.id, {"four"}, 0, 10).size(), 0u);
  EXPECT_EQ(store.index_search(10), 1u);
  EXPECT_EQ(store.search_messages(alice.id, {"four"}, 0, 10).size(), 1u);
}

TEST(SqliteStore, IdempotencyLookupUsesThePartialIndex) {
  DatabaseFile db;
  SqliteStore(db.path).migrate();
  RawConnection raw(db.path);
  // The same WHERE clause as SqliteStore::find_message_by_client_id: without the literal
  // "client_id <> ''" SQLite could not prove the partial index applies and would scan.
  const std::string details = raw.rows(
      "EXPLAIN QUERY PLAN SELECT m.id FROM messages m LEFT JOIN users u ON u.id = m.author_id "
      "WHERE m.author_id = ?1 AND m.client_id = ?2 AND m.client_id <> ''",
      3);
  EXPECT_NE(details.find("messages_by_author_client"), std::string::npos) << details;
}

TEST(SqliteStore, UncreatableDirectoryIsUnavailable) {
  TempDirectory dir("chatd-sqlite-test");
  const auto file = dir.path() / "a-file";
  std::ofstream(file) << "not a directory";
  const std::string path = (file / "sub" / "chat.db").string();
  EXPECT_EQ(thrown_kind([&] { SqliteStore store(path); }), Kind::unavailable);
}

TEST(SqliteStore, FileThatIsNotADatabaseIsUnavailable) {
  TempDirectory dir("chatd-sqlite-test");
  const auto path = dir.path() / "chat.db";
  {
    std::ofstream out(path, std::ios::binary);
    for (int i = 0; i < 512; ++i) out << "this is not an SQLite database file. ";
  }
  EXPECT_EQ(thrown_kind([&] {
              SqliteStore store(path.string());
              store.migrate();
            }),
            Kind::unavailable);
}

TEST(SqliteStore, WriterLockedOutPastTheBusyTimeoutIsUnavailable) {
  DatabaseFile db;
  SqliteStore store(db.path, std::chrono::milliseconds(50));
  store.migrate();
  const User alice = store.create_user("alice", "h", kNow).value();
  const Room room = store.ensure_public_room("general", 0, kNow);

  RawConnection other(db.path);
  ASSERT_EQ(other.exec("BEGIN IMMEDIATE"), SQLITE_OK);
  EXPECT_EQ(thrown_kind([&] { store.append_message(room.id, alice.id, "t", "", kNow); }), Kind::unavailable);
  EXPECT_TRUE(store.messages_after(room.id, 0, 10).empty()) << "readers are not blocked in WAL mode";
  ASSERT_EQ(other.exec("ROLLBACK"), SQLITE_OK);

  // Once the lock is free the same connection works again, from seq 1.
  EXPECT_EQ(store.append_message(room.id, alice.id, "t", "", kNow).message.seq, 1);
}

TEST(SqliteStore, TextWithNulBytesRoundTrips) {
  SqliteStore store(":memory:");
  store.migrate();
  const User alice = store.create_user("alice", "h", kNow).value();
  const Room room = store.ensure_public_room("general", 0, kNow);
  const std::string text("a\0b", 3);
  store.append_message(room.id, alice.id, text, "", kNow);
  EXPECT_EQ(store.messages_after(room.id, 0, 1).at(0).text, text);
}

TEST(SqliteStore, MigrationToVersion3KeepsEveryExistingNameUsable) {
  DatabaseFile db;
  ASSERT_NO_FATAL_FAILURE(write_old_database(db, 2));
  {
    // What an earlier release could hold: names as typed (its rules let look-alikes, invisible
    // characters and compatibility forms through), name_key its fold of them. Rows 6 and 7 have
    // keys that trade places in the backfill (the two-step write).
    RawConnection raw(db.path);
    std::string sql = "BEGIN;";
    for (const std::string name : {"alice", "\u0430lice", "alice\u200b", "ｆｕｌｌ", "Jose\u0301"}) {
      sql += "INSERT INTO users (name, name_key, password_hash, created_at) VALUES ('" + name + "', '" +
             name_key(name) + "', 'h', 1);";
    }
    sql += "INSERT INTO users (name, name_key, password_hash, created_at) VALUES ('Ａ', 'b', 'h', 1), ('Ｂ', 'a', 'h', 1);";
    sql += "INSERT INTO rooms (kind, name, name_key, created_at) VALUES ('public', 'general', 'general', 1),"
           " ('public', 'g\u0435neral', 'g\u0435neral', 1);";
    sql += "INSERT INTO rooms (kind, name, dm_key, created_at) VALUES ('direct', '', '1:2', 1);";
    sql += "INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ('t2', 2, " + std::to_string(kNow + 1000) + ");";
    sql += "INSERT INTO room_members (room_id, user_id, joined_at) VALUES (2, 2, 1);";
    sql += "UPDATE rooms SET last_seq = 1 WHERE id = 2;";
    sql += "INSERT INTO messages (room_id, seq, author_id, text, created_at) VALUES (2, 1, 2, 'hi', 1);";
    sql += "COMMIT;";
    ASSERT_EQ(raw.exec(sql.c_str()), SQLITE_OK);
    ASSERT_EQ(raw.scalar("SELECT group_concat(id) FROM (SELECT id FROM users ORDER BY id)"), "1,2,3,4,5,6,7");
  }

  SqliteStore store(db.path);
  store.migrate();
  RawConnection raw(db.path);
  EXPECT_EQ(raw.scalar(kVersions), kAllVersions);
  expect_old_names_usable_after_version_3(store, kNow);
  // The skeletons: the oldest of each look-alike group keeps its own, the others (and the DM) none.
  EXPECT_EQ(raw.rows("SELECT name_skeleton IS NULL FROM users WHERE id IN (1, 2, 3) ORDER BY id", 0), "0\n1\n1");
  EXPECT_EQ(raw.rows("SELECT coalesce(name_skeleton, 'NULL') FROM rooms ORDER BY id", 0), "general\nNULL\nNULL");
}

}  // namespace
}  // namespace dchat::store
