#include "store/sqlite_store.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <limits>

#include "store/sqlite_connection.hpp"
#include "store/sqlite_migrations.hpp"
#include "store/message_rows.hpp"
#include "store/name_key.hpp"
#include "store/name_skeleton.hpp"
#include "store/sqlite_query.hpp"
#include "store/sqlite_rows.hpp"
#include "store/sqlite_transaction.hpp"

namespace dchat::store {

namespace {

using namespace sqlite_rows;

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}


// Room::created_by 0 means "made by the server"; it is stored as NULL so the column can still
// reference users.
void bind_creator(SqliteQuery& q, int index, int64_t created_by) {
  if (created_by == 0) {
    q.bind_null(index);
  } else {
    q.bind(index, created_by);
  }
}

}  // namespace

SqliteStore::SqliteStore(const std::string& path, std::chrono::milliseconds busy_timeout)
    : db_(std::make_unique<SqliteConnection>(path, busy_timeout)) {}

SqliteStore::~SqliteStore() = default;

void SqliteStore::migrate() { apply_sqlite_migrations(*db_, now_ms()); }

// ---- users ----

std::optional<UserCredentials> SqliteStore::find_credentials(const std::string& name) {
  auto q = db_->query("SELECT " DCHAT_USER_COLUMNS ", u.password_hash FROM users u WHERE u.name_key = ?1");
  q.bind(1, name_key(name));
  if (!q.step()) return std::nullopt;
  UserCredentials credentials;
  credentials.user = read_user(q);
  credentials.password_hash = q.text(5);
  return credentials;
}

void SqliteStore::ping() {
  auto q = db_->query("SELECT 1");
  q.step();
}

// The group's transaction is the outermost one: SqliteTransaction sees it open and uses a
// savepoint. COMMIT without an open transaction fails, which is what commit_group() promises
// when SQLite ended the group by itself.
void SqliteStore::begin_group() { db_->query("BEGIN IMMEDIATE").run(); }

void SqliteStore::begin_group_job() {
  // Outside a transaction SAVEPOINT would start a new one, and the job's writes would commit on
  // their own while its group is answered as failed.
  if (!db_->in_transaction()) throw StoreError(StoreError::Kind::unavailable, "sqlite: the group's transaction ended");
  db_->query("SAVEPOINT job").run();
}

void SqliteStore::end_group_job(bool keep) {
  if (!keep) db_->query("ROLLBACK TO job").run();
  db_->query("RELEASE job").run();
}

void SqliteStore::commit_group() { db_->query("COMMIT").run(); }

// The write lock of the group's BEGIN IMMEDIATE covers every room already.
void SqliteStore::lock_rooms(const std::vector<int64_t>&) {}

void SqliteStore::rollback_group() noexcept {
  if (!db_->in_transaction()) return;
  try {
    db_->query("ROLLBACK").run();
  } catch (...) {
    // Nothing to report to: the group's answers already say it failed.
  }
}

std::optional<User> SqliteStore::find_user(int64_t id) {
  auto q = db_->query("SELECT " DCHAT_USER_COLUMNS " FROM users u WHERE u.id = ?1");
  q.bind(1, id);
  if (!q.step()) return std::nullopt;
  return read_user(q);
}

std::optional<User> SqliteStore::find_user_by_name(const std::string& name) {
  auto q = db_->query("SELECT " DCHAT_USER_COLUMNS " FROM users u WHERE u.name_key = ?1");
  q.bind(1, name_key(name));
  if (!q.step()) return std::nullopt;
  return read_user(q);
}

NameResult<User> SqliteStore::create_user(const std::string& name, const std::string& password_hash, int64_t now) {
  auto q = db_->query(
      "INSERT INTO users (name, name_key, name_skeleton, password_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)");
  q.bind(1, name).bind(2, name_key(name)).bind(3, name_skeleton(name)).bind(4, password_hash).bind(5, now);
  try {
    q.run();
  } catch (const StoreError& e) {
    if (e.kind != StoreError::Kind::conflict) throw;
    return NameTaken::taken;
  }
  User user;
  user.id = db_->last_insert_rowid();
  user.name = name;
  user.created_at = now;
  return user;
}

void SqliteStore::set_avatar(int64_t user_id, const std::string& blob_id, const std::string& small_blob_id) {
  auto q = db_->query("UPDATE users SET avatar = ?2, avatar_small = ?3 WHERE id = ?1");
  q.bind(1, user_id).bind(2, blob_id).bind(3, small_blob_id).run();
  if (db_->changes() == 0) {
    throw StoreError(StoreError::Kind::not_found, "no user " + std::to_string(user_id));
  }
}

// ---- sessions ----

void SqliteStore::create_session(const SessionRecord& session) {
  auto q = db_->query("INSERT INTO sessions (token_hash, user_id, expires_at) VALUES (?1, ?2, ?3)");
  q.bind(1, session.token_hash).bind(2, session.user_id).bind(3, session.expires_at).run();
}

std::optional<SessionRecord> SqliteStore::find_session(const std::string& token_hash, int64_t now) {
  auto q = db_->query(
      "SELECT token_hash, user_id, expires_at FROM sessions WHERE token_hash = ?1 AND expires_at > ?2");
  q.bind(1, token_hash).bind(2, now);
  if (!q.step()) return std::nullopt;
  SessionRecord session;
  session.token_hash = q.text(0);
  session.user_id = q.int64(1);
  session.expires_at = q.int64(2);
  return session;
}

void SqliteStore::extend_session(const std::string& token_hash, int64_t expires_at) {
  auto q = db_->query("UPDATE sessions SET expires_at = ?2 WHERE token_hash = ?1");
  q.bind(1, token_hash).bind(2, expires_at).run();
}

void SqliteStore::delete_session(const std::string& token_hash) {
  auto q = db_->query("DELETE FROM sessions WHERE token_hash = ?1");
  q.bind(1, token_hash).run();
}

size_t SqliteStore::delete_expired_sessions(int64_t now) {
  auto q = db_->query("DELETE FROM sessions WHERE expires_at <= ?1");
  q.bind(1, now).run();
  return static_cast<size_t>(db_->changes());
}

size_t SqliteStore::delete_user_sessions(int64_t user_id) {
  auto q = db_->query("DELETE FROM sessions WHERE user_id = ?1");
  q.bind(1, user_id).run();
  return static_cast<size_t>(db_->changes());
}

// ---- rooms ----

std::optional<Room> SqliteStore::find_public_room(const std::string& name) {
  return find_public_room_like(name_key(name), name_skeleton(name));
}

std::optional<Room> SqliteStore::find_public_room_by_key(const std::string& key) {
  auto q = db_->query("SELECT " DCHAT_ROOM_COLUMNS " FROM rooms r WHERE r.name_key = ?1");
  q.bind(1, key);
  if (!q.step()) return std::nullopt;
  return read_room(q);
}

std::optional<Room> SqliteStore::find_public_room_like(const std::string& key, const std::string& skeleton) {
  if (auto room = find_public_room_by_key(key)) return room;
  auto q = db_->query("SELECT " DCHAT_ROOM_COLUMNS " FROM rooms r WHERE r.name_skeleton = ?1");
  q.bind(1, skeleton);
  if (!q.step()) return std::nullopt;
  return read_room(q);
}

std::optional<Room> SqliteStore::find_direct_room_by_key(const std::string& dm_key) {
  auto q = db_->query("SELECT " DCHAT_ROOM_COLUMNS " FROM rooms r WHERE r.dm_key = ?1");
  q.bind(1, dm_key);
  if (!q.step()) return std::nullopt;
  return read_room(q);
}

Room SqliteStore::ensure_public_room(const std::string& name, int64_t created_by, int64_t now) {
  const std::string key = name_key(name);
  const std::string skeleton = name_skeleton(name);
  // Read first: this runs at every start-up (general) and on every join by name, and a plain read
  // does not take the write lock.
  if (auto room = find_public_room_like(key, skeleton)) return *room;
  {
    // DO NOTHING on either unique key: a writer that created it (or a look-alike) since the read
    // wins, and its room is returned below.
    auto q = db_->query(
        "INSERT INTO rooms (kind, name, name_key, name_skeleton, created_by, created_at) "
        "VALUES ('public', ?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING");
    q.bind(1, name).bind(2, key).bind(3, skeleton).bind(5, now);
    bind_creator(q, 4, created_by);
    q.run();
  }
  if (auto room = find_public_room_like(key, skeleton)) return *room;
  throw StoreError(StoreError::Kind::unavailable, "public room vanished after insert: " + name);
}

NameResult<Room> SqliteStore::create_public_room(const std::string& name, int64_t created_by, int64_t now) {
  auto q = db_->query(
      "INSERT INTO rooms (kind, name, name_key, name_skeleton, created_by, created_at) "
      "VALUES ('public', ?1, ?2, ?3, ?4, ?5)");
  q.bind(1, name).bind(2, name_key(name)).bind(3, name_skeleton(name)).bind(5, now);
  bind_creator(q, 4, created_by);
  try {
    q.run();
  } catch (const StoreError& e) {
    if (e.kind != StoreError::Kind::conflict) throw;
    return NameTaken::taken;
  }
  Room room;
  room.id = db_->last_insert_rowid();
  room.kind = RoomKind::public_room;
  room.name = name;
  room.created_by = created_by;
  room.created_at = now;
  return room;
}

std::optional<Room> SqliteStore::find_room(int64_t room_id) {
  auto q = db_->query("SELECT " DCHAT_ROOM_COLUMNS " FROM rooms r WHERE r.id = ?1");
  q.bind(1, room_id);
  if (!q.step()) return std::nullopt;
  return read_room(q);
}

std::vector<Room> SqliteStore::public_rooms(int64_t after_id, int limit) {
  auto q = db_->query("SELECT " DCHAT_ROOM_COLUMNS
                      " FROM rooms r WHERE r.kind = 'public' AND r.id > ?1 ORDER BY r.id LIMIT ?2");
  q.bind(1, after_id).bind(2, static_cast<int64_t>(limit));
  std::vector<Room> rooms;
  while (q.step()) rooms.push_back(read_room(q));
  return rooms;
}

size_t SqliteStore::count_rooms_created(int64_t user_id, int64_t since) {
  auto q = db_->query("SELECT COUNT(*) FROM rooms WHERE kind = 'public' AND created_by = ?1 AND created_at >= ?2");
  q.bind(1, user_id).bind(2, since);
  return q.step() ? static_cast<size_t>(q.int64(0)) : 0;
}

Room SqliteStore::direct_room(int64_t user_a, int64_t user_b, int64_t now) {
  const int64_t low = std::min(user_a, user_b);
  const int64_t high = std::max(user_a, user_b);
  const std::string key = make_dm_key(low, high);
  if (auto room = find_direct_room_by_key(key)) return *room;
  {
    // The room and its two memberships appear together or not at all, and the second look
    // under the write lock keeps two connections from both creating it.
    SqliteTransaction tx(*db_);
    if (!find_direct_room_by_key(key)) {
      int64_t room_id = 0;
      {
        auto q = db_->query(
            "INSERT INTO rooms (kind, name, dm_key, created_by, created_at) VALUES ('direct', '', ?1, ?2, ?3)");
        q.bind(1, key).bind(3, now);
        bind_creator(q, 2, user_a);
        q.run();
        room_id = db_->last_insert_rowid();
      }
      for (const int64_t member : {low, high}) {
        // DO NOTHING covers direct_room(a, a), where both inserts name the same user.
        auto q = db_->query(
            "INSERT INTO room_members (room_id, user_id, joined_at) VALUES (?1, ?2, ?3) "
            "ON CONFLICT (room_id, user_id) DO NOTHING");
        q.bind(1, room_id).bind(2, member).bind(3, now).run();
      }
    }
    tx.commit();
  }
  if (auto room = find_direct_room_by_key(key)) return *room;
  throw StoreError(StoreError::Kind::unavailable, "direct room vanished after insert: " + key);
}

std::vector<Room> SqliteStore::rooms_of(int64_t user_id) {
  // Direct rooms have both users as members, so membership alone answers "joined public rooms
  // plus the user's direct conversations".
  auto q = db_->query("SELECT " DCHAT_ROOM_COLUMNS ", m.read_seq, " DCHAT_UNREAD_MENTIONS_SQL
                      " FROM room_members m JOIN rooms r ON r.id = m.room_id WHERE m.user_id = ?1 ORDER BY r.id");
  q.bind(1, user_id);
  std::vector<Room> rooms;
  while (q.step()) {
    rooms.push_back(read_room(q));
    rooms.back().read_seq = q.int64(8);
    rooms.back().mention_count = q.int64(9);
  }
  return rooms;
}

void SqliteStore::add_member(int64_t room_id, int64_t user_id, int64_t now) {
  // Joining twice keeps the first joined_at.
  auto q = db_->query(
      "INSERT INTO room_members (room_id, user_id, joined_at, read_seq) "
      "VALUES (?1, ?2, ?3, COALESCE((SELECT last_seq FROM rooms WHERE id = ?1), 0)) "
      "ON CONFLICT (room_id, user_id) DO NOTHING");
  q.bind(1, room_id).bind(2, user_id).bind(3, now).run();
}

void SqliteStore::remove_member(int64_t room_id, int64_t user_id) {
  auto q = db_->query("DELETE FROM room_members WHERE room_id = ?1 AND user_id = ?2");
  q.bind(1, room_id).bind(2, user_id).run();
}

bool SqliteStore::is_member(int64_t room_id, int64_t user_id) {
  auto q = db_->query("SELECT 1 FROM room_members WHERE room_id = ?1 AND user_id = ?2");
  q.bind(1, room_id).bind(2, user_id);
  return q.step();
}

// ---- messages ----

std::optional<Message> SqliteStore::find_message_by_client_id(int64_t author_id, const std::string& client_id) {
  std::vector<Message> one;
  {
    // The literal "client_id <> ''" term lets SQLite use the partial unique index.
    auto q = db_->query(DCHAT_MESSAGE_SELECT "WHERE m.author_id = ?1 AND m.client_id = ?2 AND m.client_id <> ''");
    q.bind(1, author_id).bind(2, client_id);
    if (!q.step()) return std::nullopt;
    one.push_back(read_message(q));
  }
  // A resend is answered with the message as it is now, reactions included.
  return std::move(with_reactions(std::move(one)).front());
}

AppendResult SqliteStore::append_message(int64_t room_id, int64_t author_id, const std::string& text,
                                         const std::string& client_id, int64_t now) {
  // A resend is answered without the write lock: it is what a client retrying after a lost ack
  // does, and it needs nothing written. (Inside a group commit the lock is held already, and
  // the check below is the only one needed.)
  if (!client_id.empty() && !db_->in_transaction()) {
    if (auto existing = find_message_by_client_id(author_id, client_id)) return {*existing, true};
  }

  // Everything below holds the write lock: the seq read-and-bump, the insert and the commit are
  // one step for every other connection, and a failure anywhere rolls the bump back, so seqs
  // stay gap-free.
  SqliteTransaction tx(*db_);
  if (!client_id.empty()) {
    // Another connection may have stored it between the read above and taking the lock.
    if (auto existing = find_message_by_client_id(author_id, client_id)) {
      tx.commit();
      return {*existing, true};
    }
  }

  Message message;
  message.room_id = room_id;
  message.author_id = author_id;
  message.text = text;
  message.created_at = now;
  message.client_id = client_id;
  {
    auto q = db_->query("SELECT name FROM users WHERE id = ?1");
    q.bind(1, author_id);
    if (!q.step()) throw StoreError(StoreError::Kind::not_found, "no user " + std::to_string(author_id));
    message.author_name = q.text(0);
  }
  {
    auto q = db_->query("UPDATE rooms SET last_seq = last_seq + 1 WHERE id = ?1 RETURNING last_seq");
    q.bind(1, room_id);
    if (!q.step()) throw StoreError(StoreError::Kind::not_found, "no room " + std::to_string(room_id));
    message.seq = q.int64(0);
    q.run();
  }
  try {
    auto q = db_->query(
        "INSERT INTO messages (room_id, seq, author_id, text, created_at, client_id) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    q.bind(1, room_id).bind(2, message.seq).bind(3, author_id).bind(4, text).bind(5, now).bind(6, client_id);
    q.run();
    message.id = db_->last_insert_rowid();
  } catch (const StoreError& e) {
    // Under the write lock the checks above make this unreachable; if the idempotency index
    // refuses the insert all the same, the stored message is still the right answer (the
    // transaction's destructor rolls the seq bump back).
    if (e.kind != StoreError::Kind::conflict || client_id.empty()) throw;
    if (auto existing = find_message_by_client_id(author_id, client_id)) return {*existing, true};
    throw;
  }
  tx.commit();
  return {message, false};
}

// ---- blobs ----

void SqliteStore::put_blob(const std::string& id, std::string_view bytes) {
  // CAST: the bytes are bound as text (which SQLite keeps byte for byte, NULs included) and
  // stored as a BLOB value. Content-addressed, so an existing id keeps its bytes.
  auto q = db_->query(
      "INSERT INTO blobs (id, bytes, created_at) VALUES (?1, CAST(?2 AS BLOB), ?3) ON CONFLICT (id) DO NOTHING");
  q.bind(1, id).bind(2, bytes).bind(3, now_ms()).run();
}

std::optional<std::string> SqliteStore::get_blob(const std::string& id) {
  auto q = db_->query("SELECT bytes FROM blobs WHERE id = ?1");
  q.bind(1, id);
  if (!q.step()) return std::nullopt;
  return q.text(0);  // read with its byte count: the whole blob
}

bool SqliteStore::delete_blob(const std::string& id) {
  auto q = db_->query("DELETE FROM blobs WHERE id = ?1");
  q.bind(1, id).run();
  return db_->changes() > 0;
}

// ---- shared secrets ----

std::string SqliteStore::shared_secret(const std::string& name, const std::string& candidate) {
  // The first value written stays; every later caller reads it.
  db_->query("INSERT INTO shared_secrets (name, value, created_at) VALUES (?1, ?2, ?3) ON CONFLICT (name) DO NOTHING")
      .bind(1, name)
      .bind(2, candidate)
      .bind(3, now_ms())
      .run();
  auto q = db_->query("SELECT value FROM shared_secrets WHERE name = ?1");
  q.bind(1, name);
  if (!q.step()) throw StoreError(StoreError::Kind::unavailable, "shared secret " + name + " vanished");
  return q.text(0);
}

#undef DCHAT_USER_COLUMNS
#undef DCHAT_ROOM_COLUMNS
#undef DCHAT_MESSAGE_SELECT

}  // namespace dchat::store
