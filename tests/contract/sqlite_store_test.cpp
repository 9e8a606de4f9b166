// What only SqliteStore has, beyond the shared contract: the name fold, the recorded migrations,
// the connection settings, and how SQLite failures reach callers as StoreError kinds.
#include <sqlite3.h>

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <string>

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

// Takes schema v9 (search indexed in batches) out of a migrated database: the v6 triggers again.
void revert_version_9(RawConnection& raw) {
  ASSERT_EQ(raw.exec("DROP TRIGGER messages_fts_update; DROP TRIGGER messages_fts_delete; DROP TABLE search_indexed;"
                     "CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN "
                     "INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text); END;"
                     "CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages BEGIN "
                     "INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text);"
                     "INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text); END;"
                     "CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN "
                     "INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text); END;"
                     "DELETE FROM schema_migrations WHERE version = 9"),
            SQLITE_OK);
}

// And v8 (attachments).
void revert_version_8(RawConnection& raw) {
  revert_version_9(raw);
  ASSERT_EQ(raw.exec("DROP TABLE attachments; ALTER TABLE messages DROP COLUMN attachments;"
                     "DELETE FROM schema_migrations WHERE version = 8"),
            SQLITE_OK);
}

// And v7 (mentions).
void revert_version_7(RawConnection& raw) {
  revert_version_8(raw);
  ASSERT_EQ(raw.exec("DROP TABLE mentions; ALTER TABLE messages DROP COLUMN mentions;"
                     "DELETE FROM schema_migrations WHERE version = 7"),
            SQLITE_OK);
}

// And v6 (full-text search).
void revert_version_6(RawConnection& raw) {
  revert_version_7(raw);
  ASSERT_EQ(raw.exec("DROP TRIGGER messages_fts_insert; DROP TRIGGER messages_fts_update; DROP TRIGGER messages_fts_delete;"
                     "DROP TABLE messages_fts; DELETE FROM schema_migrations WHERE version = 6"),
            SQLITE_OK);
}

// And v5 (edits, deletes, replies, reactions, read positions): a database a release before
// issue #13 wrote.
void revert_version_5(RawConnection& raw) {
  revert_version_6(raw);
  ASSERT_EQ(raw.exec("DROP TABLE reactions; DROP INDEX messages_by_change;"
                     "ALTER TABLE rooms DROP COLUMN last_change; ALTER TABLE messages DROP COLUMN reply_to;"
                     "ALTER TABLE messages DROP COLUMN edited_at; ALTER TABLE messages DROP COLUMN deleted_at;"
                     "ALTER TABLE messages DROP COLUMN change_seq; ALTER TABLE room_members DROP COLUMN read_seq;"
                     "DELETE FROM schema_migrations WHERE version = 5"),
            SQLITE_OK);
}

// Takes schema v3 (name skeletons), and the versions after it, out of a migrated database, so it
// looks like one an earlier release wrote.
void revert_version_3(RawConnection& raw) {
  revert_version_5(raw);
  ASSERT_EQ(raw.exec("DROP TABLE shared_secrets; DELETE FROM schema_migrations WHERE version = 4"), SQLITE_OK);
  ASSERT_EQ(raw.exec("DROP INDEX users_by_skeleton; DROP INDEX rooms_by_skeleton;"
                     "ALTER TABLE users DROP COLUMN name_skeleton; ALTER TABLE rooms DROP COLUMN name_skeleton;"
                     "DELETE FROM schema_migrations WHERE version = 3"),
            SQLITE_OK);
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
  TempDirectory dir("chatd-sqlite-test");
  const std::string path = (dir.path() / "chat.db").string();
  {
    SqliteStore store(path);
    store.migrate();
    store.migrate();
    SqliteStore other(path);
    other.migrate();
  }
  RawConnection raw(path);
  EXPECT_EQ(raw.scalar("SELECT group_concat(version) FROM schema_migrations"), "1,2,3,4,5,6,7,8,9");
  EXPECT_EQ(raw.scalar("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'messages_by_author_client'"), "1");
}

TEST(SqliteStore, MigrateAddsAttachmentsToAVersion7Database) {
  TempDirectory dir("chatd-sqlite-test");
  const std::string path = (dir.path() / "chat.db").string();
  {
    SqliteStore store(path);
    store.migrate();
    const User alice = store.create_user("alice", "h", kNow).value();
    const Room room = store.ensure_public_room("lounge", 0, kNow);
    store.add_member(room.id, alice.id, kNow);
    store.append_message(room.id, alice.id, "before attachments", "", kNow);
  }
  {
    RawConnection raw(path);
    revert_version_8(raw);
  }
  SqliteStore store(path);
  store.migrate();
  const Message old = store.find_message(1, 1).value();
  EXPECT_EQ(old.text, "before attachments");
  EXPECT_TRUE(old.attachments.empty());
  RawConnection raw(path);
  EXPECT_EQ(raw.scalar("SELECT group_concat(version) FROM schema_migrations"), "1,2,3,4,5,6,7,8,9");
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'attachments_unsent_by_age'"), "1");
}

TEST(SqliteStore, MigrateAddsBlobsToAVersion1Database) {
  TempDirectory dir("chatd-sqlite-test");
  const std::string path = (dir.path() / "chat.db").string();
  SqliteStore(path).migrate();
  {
    // Make it look like a database a release with only version 1 created.
    RawConnection raw(path);
    revert_version_3(raw);
    ASSERT_EQ(raw.exec("DROP TABLE blobs"), SQLITE_OK);
    ASSERT_EQ(raw.exec("DELETE FROM schema_migrations WHERE version = 2"), SQLITE_OK);
  }
  SqliteStore store(path);
  store.migrate();
  const std::string bytes("blob\0with nul", 13);
  store.put_blob("id", bytes);
  store.put_blob("id", "other");  // an existing id keeps its bytes
  EXPECT_EQ(store.get_blob("id"), bytes);
  RawConnection raw(path);
  EXPECT_EQ(raw.scalar("SELECT typeof(bytes) FROM blobs WHERE id = 'id'"), "blob");
  EXPECT_EQ(raw.scalar("SELECT group_concat(version) FROM schema_migrations"), "1,2,3,4,5,6,7,8,9");
  EXPECT_TRUE(store.delete_blob("id"));
  EXPECT_FALSE(store.delete_blob("id"));
}

TEST(SqliteStore, MigrationToVersion5KeepsMessagesAsTheyWere) {
  TempDirectory dir("chatd-sqlite-test");
  const std::string path = (dir.path() / "chat.db").string();
  {
    SqliteStore store(path);
    store.migrate();
    const User alice = store.create_user("alice", "h", kNow).value();
    const Room room = store.ensure_public_room("general", 0, kNow);
    store.add_member(room.id, alice.id, kNow);
    store.append_message(room.id, alice.id, "before #13", "c-1", kNow);
  }
  {
    RawConnection raw(path);
    revert_version_5(raw);
  }
  SqliteStore store(path);
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
  TempDirectory dir("chatd-sqlite-test");
  const std::string path = (dir.path() / "chat.db").string();
  SqliteStore(path).migrate();
  RawConnection raw(path);
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
  TempDirectory dir("chatd-sqlite-test");
  const std::string path = (dir.path() / "chat.db").string();
  SqliteStore store(path, std::chrono::milliseconds(50));
  store.migrate();
  const User alice = store.create_user("alice", "h", kNow).value();
  const Room room = store.ensure_public_room("general", 0, kNow);

  RawConnection other(path);
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
  TempDirectory dir("chatd-sqlite-test");
  const std::string path = (dir.path() / "chat.db").string();
  SqliteStore(path).migrate();
  {
    // What an earlier release could hold: names as typed (its rules let look-alikes, invisible
    // characters and compatibility forms through), name_key its fold of them. Rows 6 and 7 have
    // keys that trade places in the backfill (the two-step write).
    RawConnection raw(path);
    revert_version_3(raw);
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

  SqliteStore store(path);
  store.migrate();
  RawConnection raw(path);
  EXPECT_EQ(raw.scalar("SELECT group_concat(version) FROM schema_migrations"), "1,2,3,4,5,6,7,8,9");
  expect_old_names_usable_after_version_3(store, kNow);
  // The skeletons: the oldest of each look-alike group keeps its own, the others (and the DM) none.
  EXPECT_EQ(raw.rows("SELECT name_skeleton IS NULL FROM users WHERE id IN (1, 2, 3) ORDER BY id", 0), "0\n1\n1");
  EXPECT_EQ(raw.rows("SELECT coalesce(name_skeleton, 'NULL') FROM rooms ORDER BY id", 0), "general\nNULL\nNULL");
}

}  // namespace
}  // namespace dchat::store
