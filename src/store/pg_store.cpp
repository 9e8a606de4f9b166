#include "store/pg_store.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <limits>

#include "store/message_rows.hpp"
#include "store/name_key.hpp"
#include "store/name_skeleton.hpp"
#include "store/pg_migrations.hpp"
#include "store/pg_rows.hpp"
#include "store/pg_transaction.hpp"

namespace dchat::store {

namespace {

using namespace pg_rows;

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}



}  // namespace

PgStore::PgStore(const std::string& url, PgSettings settings)
    : db_(std::make_unique<PgConnection>(url, std::move(settings))) {}

PgStore::~PgStore() = default;

void PgStore::migrate() { apply_pg_migrations(*db_, now_ms()); }

void PgStore::ping() { db_->query("SELECT 1"); }

// PgTransaction sees the group's transaction open and uses a savepoint. COMMIT of a transaction
// that failed (an error outside any savepoint) answers ROLLBACK; exec() reports that as an error.
void PgStore::begin_group() { db_->exec("BEGIN"); }

void PgStore::begin_group_job() {
  // A lost connection would reconnect here, outside the group: fail the group instead.
  if (!db_->in_transaction()) throw StoreError(StoreError::Kind::unavailable, "postgres: the group's transaction was lost");
  db_->exec("SAVEPOINT job");
}

void PgStore::end_group_job(bool keep) {
  if (!keep) db_->exec("ROLLBACK TO SAVEPOINT job");
  db_->exec("RELEASE SAVEPOINT job");
}

void PgStore::commit_group() {
  // COMMIT outside a transaction only warns in PostgreSQL: a group that is no longer open (the
  // connection was lost and came back) must fail, not look committed.
  if (!db_->in_transaction()) throw StoreError(StoreError::Kind::unavailable, "postgres: the group's transaction was lost");
  db_->commit();
}

void PgStore::rollback_group() noexcept { db_->rollback_quietly(); }

// ---- users ----

std::optional<UserCredentials> PgStore::find_credentials(const std::string& name) {
  const PgResult r = db_->query("SELECT " DCHAT_USER_COLUMNS ", u.password_hash FROM users u WHERE u.name_key = $1",
                                {name_key(name)});
  if (r.empty()) return std::nullopt;
  UserCredentials credentials;
  credentials.user = read_user(r, 0);
  credentials.password_hash = r.text(0, 5);
  return credentials;
}

std::optional<User> PgStore::find_user(int64_t id) {
  const PgResult r = db_->query("SELECT " DCHAT_USER_COLUMNS " FROM users u WHERE u.id = $1", {id});
  if (r.empty()) return std::nullopt;
  return read_user(r, 0);
}

std::optional<User> PgStore::find_user_by_name(const std::string& name) {
  const PgResult r = db_->query("SELECT " DCHAT_USER_COLUMNS " FROM users u WHERE u.name_key = $1", {name_key(name)});
  if (r.empty()) return std::nullopt;
  return read_user(r, 0);
}

NameResult<User> PgStore::create_user(const std::string& name, const std::string& password_hash, int64_t now) {
  PgResult r;
  try {
    r = db_->query(
        "INSERT INTO users (name, name_key, name_skeleton, password_hash, created_at) VALUES ($1, $2, $3, $4, $5) "
        "RETURNING id",
        {name, name_key(name), name_skeleton(name), password_hash, now});
  } catch (const StoreError& e) {
    if (e.kind != StoreError::Kind::conflict) throw;
    return NameTaken::taken;
  }
  User user;
  user.id = r.int64(0, 0);
  user.name = name;
  user.created_at = now;
  return user;
}

void PgStore::set_avatar(int64_t user_id, const std::string& blob_id, const std::string& small_blob_id) {
  const PgResult r =
      db_->query("UPDATE users SET avatar = $2, avatar_small = $3 WHERE id = $1", {user_id, blob_id, small_blob_id});
  if (r.affected() == 0) throw StoreError(StoreError::Kind::not_found, "no user " + std::to_string(user_id));
}

// ---- sessions ----

void PgStore::create_session(const SessionRecord& session) {
  db_->query("INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ($1, $2, $3)",
             {session.token_hash, session.user_id, session.expires_at});
}

std::optional<SessionRecord> PgStore::find_session(const std::string& token_hash, int64_t now) {
  const PgResult r = db_->query(
      "SELECT token_hash, user_id, expires_at FROM sessions WHERE token_hash = $1 AND expires_at > $2",
      {token_hash, now});
  if (r.empty()) return std::nullopt;
  SessionRecord session;
  session.token_hash = r.text(0, 0);
  session.user_id = r.int64(0, 1);
  session.expires_at = r.int64(0, 2);
  return session;
}

void PgStore::extend_session(const std::string& token_hash, int64_t expires_at) {
  db_->query("UPDATE sessions SET expires_at = $2 WHERE token_hash = $1", {token_hash, expires_at});
}

void PgStore::delete_session(const std::string& token_hash) {
  db_->query("DELETE FROM sessions WHERE token_hash = $1", {token_hash});
}

size_t PgStore::delete_expired_sessions(int64_t now) {
  return static_cast<size_t>(db_->query("DELETE FROM sessions WHERE expires_at <= $1", {now}).affected());
}

size_t PgStore::delete_user_sessions(int64_t user_id) {
  return static_cast<size_t>(db_->query("DELETE FROM sessions WHERE user_id = $1", {user_id}).affected());
}

// ---- rooms ----

std::optional<Room> PgStore::find_public_room(const std::string& name) {
  return find_public_room_like(name_key(name), name_skeleton(name));
}

std::optional<Room> PgStore::find_public_room_by_key(const std::string& key) {
  const PgResult r = db_->query("SELECT " DCHAT_ROOM_COLUMNS " FROM rooms r WHERE r.name_key = $1", {key});
  if (r.empty()) return std::nullopt;
  return read_room(r, 0);
}

std::optional<Room> PgStore::find_public_room_like(const std::string& key, const std::string& skeleton) {
  if (auto room = find_public_room_by_key(key)) return room;
  const PgResult r = db_->query("SELECT " DCHAT_ROOM_COLUMNS " FROM rooms r WHERE r.name_skeleton = $1", {skeleton});
  if (r.empty()) return std::nullopt;
  return read_room(r, 0);
}

std::optional<Room> PgStore::find_direct_room_by_key(const std::string& dm_key) {
  const PgResult r = db_->query("SELECT " DCHAT_ROOM_COLUMNS " FROM rooms r WHERE r.dm_key = $1", {dm_key});
  if (r.empty()) return std::nullopt;
  return read_room(r, 0);
}

Room PgStore::ensure_public_room(const std::string& name, int64_t created_by, int64_t now) {
  const std::string key = name_key(name);
  const std::string skeleton = name_skeleton(name);
  if (auto room = find_public_room_like(key, skeleton)) return *room;
  // DO NOTHING on either unique key: a writer that created it (or a look-alike) since the read
  // wins (the insert waits for its commit), and its room is read below.
  db_->query(
      "INSERT INTO rooms (kind, name, name_key, name_skeleton, created_by, created_at) "
      "VALUES ('public', $1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
      {name, key, skeleton, PgParam::id_or_null(created_by), now});
  if (auto room = find_public_room_like(key, skeleton)) return *room;
  throw StoreError(StoreError::Kind::unavailable, "public room vanished after insert: " + name);
}

NameResult<Room> PgStore::create_public_room(const std::string& name, int64_t created_by, int64_t now) {
  PgResult r;
  try {
    r = db_->query(
        "INSERT INTO rooms (kind, name, name_key, name_skeleton, created_by, created_at) "
        "VALUES ('public', $1, $2, $3, $4, $5) RETURNING id",
        {name, name_key(name), name_skeleton(name), PgParam::id_or_null(created_by), now});
  } catch (const StoreError& e) {
    if (e.kind != StoreError::Kind::conflict) throw;
    return NameTaken::taken;
  }
  Room room;
  room.id = r.int64(0, 0);
  room.kind = RoomKind::public_room;
  room.name = name;
  room.created_by = created_by;
  room.created_at = now;
  return room;
}

std::optional<Room> PgStore::find_room(int64_t room_id) {
  const PgResult r = db_->query("SELECT " DCHAT_ROOM_COLUMNS " FROM rooms r WHERE r.id = $1", {room_id});
  if (r.empty()) return std::nullopt;
  return read_room(r, 0);
}

std::vector<Room> PgStore::public_rooms(int64_t after_id, int limit) {
  return read_rooms(db_->query("SELECT " DCHAT_ROOM_COLUMNS
                               " FROM rooms r WHERE r.kind = 'public' AND r.id > $1 ORDER BY r.id LIMIT $2",
                               {after_id, static_cast<int64_t>(limit)}));
}

size_t PgStore::count_rooms_created(int64_t user_id, int64_t since) {
  const PgResult r = db_->query(
      "SELECT COUNT(*) FROM rooms WHERE kind = 'public' AND created_by = $1 AND created_at >= $2", {user_id, since});
  return static_cast<size_t>(r.int64(0, 0));
}

Room PgStore::direct_room(int64_t user_a, int64_t user_b, int64_t now) {
  const int64_t low = std::min(user_a, user_b);
  const int64_t high = std::max(user_a, user_b);
  const std::string key = make_dm_key(low, high);
  if (auto room = find_direct_room_by_key(key)) return *room;
  {
    // The room and its memberships appear together or not at all. A second connection creating
    // the same room waits on the dm_key index until this one commits, then does nothing.
    PgTransaction tx(*db_);
    const PgResult inserted = db_->query(
        "INSERT INTO rooms (kind, name, dm_key, created_by, created_at) VALUES ('direct', '', $1, $2, $3) "
        "ON CONFLICT (dm_key) DO NOTHING RETURNING id",
        {key, PgParam::id_or_null(user_a), now});
    if (!inserted.empty()) {
      const int64_t room_id = inserted.int64(0, 0);
      for (const int64_t member : {low, high}) {
        // DO NOTHING covers direct_room(a, a), where both inserts name the same user.
        db_->query(
            "INSERT INTO room_members (room_id, user_id, joined_at) VALUES ($1, $2, $3) "
            "ON CONFLICT (room_id, user_id) DO NOTHING",
            {room_id, member, now});
      }
    }
    tx.commit();
  }
  if (auto room = find_direct_room_by_key(key)) return *room;
  throw StoreError(StoreError::Kind::unavailable, "direct room vanished after insert: " + key);
}

std::vector<Room> PgStore::rooms_of(int64_t user_id) {
  const PgResult r = db_->query("SELECT " DCHAT_ROOM_COLUMNS ", m.read_seq, " DCHAT_UNREAD_MENTIONS_SQL
                                " FROM room_members m JOIN rooms r ON r.id = m.room_id WHERE m.user_id = $1 ORDER BY r.id",
                                {user_id});
  std::vector<Room> rooms = read_rooms(r);
  for (int i = 0; i < r.rows(); ++i) {
    rooms[static_cast<size_t>(i)].read_seq = r.int64(i, 8);
    rooms[static_cast<size_t>(i)].mention_count = r.int64(i, 9);
  }
  return rooms;
}

void PgStore::add_member(int64_t room_id, int64_t user_id, int64_t now) {
  db_->query(
      "INSERT INTO room_members (room_id, user_id, joined_at, read_seq) "
      "VALUES ($1, $2, $3, COALESCE((SELECT last_seq FROM rooms WHERE id = $1), 0)) "
      "ON CONFLICT (room_id, user_id) DO NOTHING",
      {room_id, user_id, now});
}

void PgStore::remove_member(int64_t room_id, int64_t user_id) {
  db_->query("DELETE FROM room_members WHERE room_id = $1 AND user_id = $2", {room_id, user_id});
}

bool PgStore::is_member(int64_t room_id, int64_t user_id) {
  return !db_->query("SELECT 1 FROM room_members WHERE room_id = $1 AND user_id = $2", {room_id, user_id}).empty();
}

// ---- messages ----

std::optional<Message> PgStore::find_message_by_client_id(int64_t author_id, const std::string& client_id) {
  const PgResult r = db_->query(DCHAT_MESSAGE_SELECT "WHERE m.author_id = $1 AND m.client_id = $2 AND m.client_id <> ''",
                                {author_id, client_id});
  if (r.empty()) return std::nullopt;
  // A resend is answered with the message as it is now, reactions included.
  return std::move(with_reactions({read_message(r, 0)}).front());
}

AppendResult PgStore::append_message(int64_t room_id, int64_t author_id, const std::string& text,
                                     const std::string& client_id, int64_t now) {
  // A resend is answered with one read and no lock.
  if (!client_id.empty()) {
    if (auto existing = find_message_by_client_id(author_id, client_id)) return {*existing, true};
  }

  Message message;
  message.room_id = room_id;
  message.author_id = author_id;
  message.text = text;
  message.created_at = now;
  message.client_id = client_id;
  bool stored = false;
  {
    PgTransaction tx(*db_);
    {
      const PgResult r = db_->query("SELECT name FROM users WHERE id = $1", {author_id});
      if (r.empty()) throw StoreError(StoreError::Kind::not_found, "no user " + std::to_string(author_id));
      message.author_name = r.text(0, 0);
    }
    {
      // Takes the room's row lock until COMMIT: the next writer of this room (any connection,
      // any process) waits here and then reads the bumped value.
      const PgResult r = db_->query("UPDATE rooms SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq", {room_id});
      if (r.empty()) throw StoreError(StoreError::Kind::not_found, "no room " + std::to_string(room_id));
      message.seq = r.int64(0, 0);
    }
    // ON CONFLICT DO NOTHING on the idempotency index: when another connection stored this
    // (author, client_id) since the read above, the insert waits for it to commit and then
    // returns no row instead of aborting the transaction.
    const PgResult r = db_->query(
        "INSERT INTO messages (room_id, seq, author_id, text, created_at, client_id) "
        "VALUES ($1, $2, $3, $4, $5, $6) "
        "ON CONFLICT (author_id, client_id) WHERE client_id <> '' DO NOTHING RETURNING id",
        {room_id, message.seq, author_id, text, now, client_id});
    if (!r.empty()) {
      message.id = r.int64(0, 0);
      tx.commit();
      stored = true;
    }
    // Otherwise the guard rolls back, and with it the seq bump.
  }
  if (stored) return {message, false};
  if (auto existing = find_message_by_client_id(author_id, client_id)) return {*existing, true};
  throw StoreError(StoreError::Kind::unavailable,
                   "message with client id " + client_id + " conflicted but cannot be read back");
}

// ---- blobs ----

void PgStore::put_blob(const std::string& id, std::string_view bytes) {
  // Content-addressed: the same id always holds the same bytes, so a second put does nothing
  // (and two racing puts both succeed: the loser waits for the winner's commit, then skips).
  db_->query("INSERT INTO blobs (id, bytes, created_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
             {id, PgParam::bytes(bytes), now_ms()});
}

std::optional<std::string> PgStore::get_blob(const std::string& id) {
  // Binary result format: bytea comes back as its raw bytes instead of hex text.
  const PgResult r = db_->query("SELECT bytes FROM blobs WHERE id = $1", {id}, /*binary_result=*/true);
  if (r.empty()) return std::nullopt;
  return r.text(0, 0);
}

bool PgStore::delete_blob(const std::string& id) {
  return db_->query("DELETE FROM blobs WHERE id = $1", {id}).affected() > 0;
}

// ---- shared secrets ----

std::string PgStore::shared_secret(const std::string& name, const std::string& candidate) {
  // Two statements, not one: a replica whose insert lost the race waits for the winner's commit,
  // and only a new statement's snapshot (READ COMMITTED) sees the winner's row.
  db_->query("INSERT INTO shared_secrets (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
             {name, candidate, now_ms()});
  const PgResult r = db_->query("SELECT value FROM shared_secrets WHERE name = $1", {name});
  if (r.empty()) throw StoreError(StoreError::Kind::unavailable, "shared secret " + name + " vanished");
  return r.text(0, 0);
}

#undef DCHAT_USER_COLUMNS
#undef DCHAT_ROOM_COLUMNS
#undef DCHAT_MESSAGE_SELECT

}  // namespace dchat::store
