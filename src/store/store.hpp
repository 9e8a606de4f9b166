#pragma once
// The Store: everything the chat persists, behind one small interface so SQLite (embedded
// default) and PostgreSQL (scale-out) are interchangeable. Implementations are synchronous and
// blocking; they are only ever called on the store's worker threads (see StoreExecutor), never
// on an I/O thread. One implementation object is used by one thread at a time.
//
// Errors: every method may throw StoreError: `unavailable` means the database could not be
// reached or failed, `not_found` that a write named a user or room that does not exist,
// `conflict` that some other uniqueness rule refused it. A name that is taken is not an error but
// an answer the chat gives its users ("name taken"), so create_user and create_public_room return
// it as a typed result (NameResult) instead of throwing.
#include <boost/system/result.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace dchat::store {

struct StoreError : std::runtime_error {
  // overloaded: not tried at all, the store's queue is full (try again shortly).
  enum class Kind { conflict, not_found, unavailable, overloaded };
  StoreError(Kind kind, const std::string& what) : std::runtime_error(what), kind(kind) {}
  Kind kind;
};

// Why a name could not be claimed: it is taken, case-insensitively or by how it looks (names
// with equal confusable skeletons, store/name_skeleton.hpp, are one name).
enum class NameTaken { taken = 1 };

// Calling .value() on a refused NameResult throws StoreError(conflict) (boost::system::result
// finds this by argument-dependent lookup): for callers to whom a taken name is a bug.
[[noreturn]] inline void throw_exception_from_error(NameTaken, const boost::source_location&) {
  throw StoreError(StoreError::Kind::conflict, "the name is taken (or one that looks the same)");
}

// boost::system::result rather than a hand-written Result: C++20 on g++ 12 has no std::expected,
// and Boost.System (already linked through Asio) provides the same shape, value-or-error.
template <typename T>
using NameResult = boost::system::result<T, NameTaken>;

struct User {
  int64_t id = 0;
  std::string name;         // as the name rules left it (NFKC, trimmed); unique case-insensitively
                            // and by how it looks (see create_user)
  std::string avatar;       // blob id of the 256 px avatar, empty when none
  std::string avatar_small; // blob id of the 64 px avatar, empty when none
  int64_t created_at = 0;   // ms since the epoch
};

struct UserCredentials {
  User user;
  std::string password_hash;  // libsodium crypto_pwhash_str (argon2id) string
};

struct SessionRecord {
  std::string token_hash;  // hex SHA-256 of the cookie token; the token itself is never stored
  int64_t user_id = 0;
  int64_t expires_at = 0;  // ms since the epoch
};

enum class RoomKind { public_room, direct };

struct Room {
  int64_t id = 0;
  RoomKind kind = RoomKind::public_room;
  std::string name;          // public rooms: unique case-insensitively and by look; direct: ""
  int64_t created_by = 0;    // user id, 0 for rooms made by the server (general)
  int64_t created_at = 0;
  int64_t last_seq = 0;      // seq of the newest message, 0 when empty
  int64_t last_change = 0;   // number of the latest edit, delete or reaction, 0 when none
  int64_t read_seq = 0;      // rooms_of(user) only: the newest seq that user has read
  int64_t mention_count = 0; // rooms_of(user) only: messages after read_seq that mention that user
  std::vector<int64_t> direct_members;  // the two users of a direct conversation
};

// The message a reply answers, as the reply shows it (read with the reply, so an edit or a
// delete of the original shows in its quotes too).
struct Quote {
  int64_t seq = 0;
  int64_t author_id = 0;
  std::string author_name;
  std::string text;        // the original's first line, at most kQuoteBytes ("" when deleted)
  bool deleted = false;
};
inline constexpr size_t kQuoteBytes = 200;

// One emoji's reactions to a message: how many, and who (the first kReactorsShown, oldest first:
// enough for a tooltip, and a message with thousands of reactions stays small on the wire).
struct Reaction {
  struct Reactor {
    int64_t id = 0;
    std::string name;
  };
  std::string emoji;
  int64_t count = 0;
  std::vector<Reactor> users;
};
inline constexpr size_t kReactorsShown = 10;

// Who a message mentions, as stored: the room's members it names (never its author), and
// whether it mentions the whole room (@room). Only members are ever stored, so a mention of
// someone who cannot read the room notifies nobody.
struct Mentions {
  std::vector<int64_t> users;  // ascending
  bool room = false;
  bool empty() const { return users.empty() && !room; }
};

// Who a message asks to mention, as the chat read it from the text (chat/mention_rules.hpp):
// the name_key of each @name (whoever they are; the store keeps the members), and @room, which
// only applies while the room has at most `room_limit` members (a large room is not paged by
// one message).
struct MentionRequest {
  std::vector<std::string> name_keys;
  bool room = false;
  size_t room_limit = 0;
  bool empty() const { return name_keys.empty() && !room; }
};

// An image attached to a message, as the message shows it (the blobs stay in the attachments
// table: clients fetch the images through GET /api/attachments/{id}, which checks who asks).
struct MessageAttachment {
  std::string id;          // the attachment's random id (chat/attachment_id.hpp)
  int64_t width = 0;       // the full image
  int64_t height = 0;
  int64_t thumb_width = 0;
  int64_t thumb_height = 0;
  int64_t bytes = 0;       // of the full image
  bool operator==(const MessageAttachment&) const = default;
};

// An uploaded image (POST /api/rooms/{id}/attachments), attached to at most one message.
struct Attachment {
  std::string id;          // random, unguessable, URL-safe
  int64_t room_id = 0;     // the room it was uploaded to: it can only be sent there
  int64_t uploader_id = 0;
  std::string blob;        // blob id of the full image (WebP)
  std::string thumb_blob;  // blob id of the thumbnail (WebP)
  int64_t width = 0;
  int64_t height = 0;
  int64_t thumb_width = 0;
  int64_t thumb_height = 0;
  int64_t bytes = 0;
  int64_t created_at = 0;
  int64_t seq = 0;         // the message (room_id, seq) it belongs to, 0 while not sent
  MessageAttachment view() const { return {id, width, height, thumb_width, thumb_height, bytes}; }
};

struct Message {
  int64_t id = 0;
  int64_t room_id = 0;
  int64_t seq = 0;          // 1, 2, 3... per room, gap-free, unique
  int64_t author_id = 0;
  std::string author_name;  // joined from users
  std::string text;         // "" once deleted
  int64_t created_at = 0;   // ms since the epoch, server clock
  std::string client_id;    // the sender's idempotency key ("" when none)
  int64_t reply_to = 0;     // seq of the message (same room) this one answers, 0 when none
  std::optional<Quote> quote;  // that message, when reply_to is set
  int64_t edited_at = 0;    // ms since the epoch of the last edit, 0 when never edited
  int64_t deleted_at = 0;   // ms since the epoch of the delete, 0 when not deleted
  // The room's change number of this message's latest edit, delete or reaction (see
  // Store::edit_message), 0 when it never changed: a client that holds change N of a room has
  // every message whose change is <= N as it is now.
  int64_t change = 0;
  std::vector<Reaction> reactions;  // by emoji, in the order each was first used
  Mentions mentions;        // "" once deleted
  std::vector<MessageAttachment> attachments;  // in the order sent; none once deleted
};

struct AppendResult {
  Message message;
  bool duplicate = false;  // the same (author, client_id) was stored before: this is that message
};

// One message:send for append_messages.
struct AppendRequest {
  int64_t room_id = 0;
  int64_t author_id = 0;
  std::string text;
  std::string client_id;  // "" when none
  int64_t created_at = 0;
  int64_t reply_to = 0;   // seq of the message answered (same room), 0 when none
  MentionRequest mentions{};
  std::vector<std::string> attachments{};  // attachment ids, each at most once (the chat checks)
  // Unsent attachments created before this (ms) have expired (CHAT_ATTACHMENT_TTL_S): they are
  // refused as unknown (no_attachment) even before the sweep removes them.
  int64_t attachments_since = 0;
};

// What append_messages did with one request.
struct AppendOutcome {
  enum class Status {
    stored,      // message is the new message
    duplicate,   // the author stored this client_id before: message is that one (any room)
    not_member,  // the room exists but the author is not in it: nothing stored
    no_room,     // no such room: nothing stored
    no_reply_target,  // reply_to names no message of the room: nothing stored
    no_attachment,    // an attachment id is unknown, expired or was uploaded by someone else: nothing stored
    attachment_unusable,  // an attachment was uploaded to another room or is already sent: nothing stored
  };
  Status status = Status::stored;
  Message message;  // for stored and duplicate
};

class Store {
 public:
  virtual ~Store() = default;

  // Applies pending schema migrations (idempotent); called once at start-up.
  virtual void migrate() = 0;
  // A round trip to the database (readiness checks); throws StoreError(unavailable) when it fails.
  virtual void ping() = 0;

  // ---- group commit ----
  // Calls between begin_group() and commit_group() share one transaction: each call's own
  // transaction becomes a savepoint inside it, so a call that fails takes back only its own
  // changes, and one commit (one WAL append and sync, or one PostgreSQL commit) covers them all.
  // Nothing of the group is durable before commit_group() returns, so whoever answers for those
  // calls waits for it (StoreExecutor's writer does). commit_group() throws StoreError when the
  // group could not be committed, including when the database ended the transaction by itself
  // after an error (SQLite does after SQLITE_FULL); rollback_group() then takes back what is left.
  // Inside a group, begin_group_job() and end_group_job(keep) bracket one caller's several calls
  // (a savepoint): end_group_job(false) takes back everything since begin_group_job(), so a job
  // that fails after some of its calls succeeded leaves nothing behind. Both throw StoreError
  // when they cannot, and begin_group_job() also when the group's transaction is no longer open
  // (the group then fails as a whole).
  virtual void begin_group() = 0;
  virtual void begin_group_job() = 0;
  virtual void end_group_job(bool keep) = 0;
  virtual void commit_group() = 0;
  virtual void rollback_group() noexcept = 0;
  // Right after begin_group(): locks the rows of the rooms whose counters (last_seq,
  // last_change) the group's jobs will move, `ids` ascending, until the group ends. Every writer
  // takes room locks in id order this way, all at once, so no two groups (on two replicas) can
  // each hold a room the other waits for. SQLite: nothing to do (the write lock covers all).
  virtual void lock_rooms(const std::vector<int64_t>& ids) = 0;

  // ---- users ----
  // Lookup by name is case-insensitive (names are compared by name_key, their lower-case form);
  // it finds the account a name *is*, never one it merely looks like.
  virtual std::optional<UserCredentials> find_credentials(const std::string& name) = 0;
  virtual std::optional<User> find_user(int64_t id) = 0;
  virtual std::optional<User> find_user_by_name(const std::string& name) = 0;
  // NameTaken when the name is taken (case-insensitively) or looks like a taken one: names with
  // equal confusable skeletons (store/name_skeleton.hpp: "alice" and "аlice" with a Cyrillic а,
  // "m" and "rn") are one name.
  virtual NameResult<User> create_user(const std::string& name, const std::string& password_hash, int64_t now) = 0;
  virtual void set_avatar(int64_t user_id, const std::string& blob_id, const std::string& small_blob_id) = 0;

  // ---- sessions ----
  virtual void create_session(const SessionRecord& session) = 0;
  // Expired sessions are not returned.
  virtual std::optional<SessionRecord> find_session(const std::string& token_hash, int64_t now) = 0;
  virtual void extend_session(const std::string& token_hash, int64_t expires_at) = 0;
  virtual void delete_session(const std::string& token_hash) = 0;
  virtual size_t delete_expired_sessions(int64_t now) = 0;
  // Every session of the user ("sign out everywhere"); returns how many were deleted.
  virtual size_t delete_user_sessions(int64_t user_id) = 0;

  // ---- rooms ----
  // Creates the public room or returns the existing one with that name (case-insensitive), or
  // else the existing one it looks like (same skeleton): "gеneral" with a Cyrillic е is "general".
  virtual Room ensure_public_room(const std::string& name, int64_t created_by, int64_t now) = 0;
  // NameTaken when a public room with that name, or one that looks like it, exists.
  virtual NameResult<Room> create_public_room(const std::string& name, int64_t created_by, int64_t now) = 0;
  virtual std::optional<Room> find_room(int64_t room_id) = 0;
  // The public room with this name, or one that looks the same (as ensure_public_room finds).
  virtual std::optional<Room> find_public_room(const std::string& name) = 0;
  // A page of public rooms in creation order: ids above `after_id`, at most `limit` of them.
  virtual std::vector<Room> public_rooms(int64_t after_id, int limit) = 0;
  // Public rooms the user created at or after `since` (room creation limits).
  virtual size_t count_rooms_created(int64_t user_id, int64_t since) = 0;
  // The direct conversation of two users (order does not matter), created on first use.
  virtual Room direct_room(int64_t user_a, int64_t user_b, int64_t now) = 0;
  // Public rooms the user joined plus the user's direct conversations.
  virtual std::vector<Room> rooms_of(int64_t user_id) = 0;
  virtual void add_member(int64_t room_id, int64_t user_id, int64_t now) = 0;
  virtual void remove_member(int64_t room_id, int64_t user_id) = 0;
  virtual bool is_member(int64_t room_id, int64_t user_id) = 0;

  // ---- messages ----
  // Stores a message with the room's next seq, atomically (safe with concurrent writers). With a
  // non-empty client_id, a second append by the same author with the same client_id returns the
  // first message and duplicate = true instead of storing again.
  virtual AppendResult append_message(int64_t room_id, int64_t author_id, const std::string& text,
                                      const std::string& client_id, int64_t now) = 0;
  // Attachments (AppendRequest::attachments): each must exist, have been uploaded by the author
  // to this room and not be sent yet (else no_attachment / attachment_unusable, nothing stored,
  // no seq used); they are then linked to the new message in the same transaction. Requests
  // without attachments cost no extra statement.
  // message:send for a batch (the writer's group commit hands it every send waiting together):
  // each request whose author is a member of its room is appended as by append_message, in
  // order, and one outcome per request says what happened (a resend, also of an earlier request
  // of the batch, is a duplicate). All or nothing: on StoreError nothing of the batch is stored.
  // Inside a group it is one savepoint. Why a batch call and not append_message per request: on
  // PostgreSQL it is a few statements for the whole batch instead of about nine round trips per
  // message, and the rooms' seq rows are locked once, in id order (BENCHMARKS.md, "The chat path").
  virtual std::vector<AppendOutcome> append_messages(const std::vector<AppendRequest>& batch) = 0;
  // Up to `limit` messages with seq < before_seq (before_seq <= 0: the newest), oldest first.
  virtual std::vector<Message> messages_before(int64_t room_id, int64_t before_seq, int limit) = 0;
  // Up to `limit` messages with seq > after_seq, oldest first.
  virtual std::vector<Message> messages_after(int64_t room_id, int64_t after_seq, int limit) = 0;
  virtual std::optional<Message> find_message(int64_t room_id, int64_t seq) = 0;

  // ---- changes to stored messages ----
  // Each takes the room's next change number (rooms.last_change + 1, gap-free like seq) and
  // gives it to the message (Message::change), in the caller's transaction; they return it, or 0
  // when nothing changed. Rules (who may, until when) are the chat's; these only write. They
  // throw StoreError(not_found) when the message does not exist.
  // An edit: the new text, edited_at = at.
  virtual int64_t edit_message(int64_t room_id, int64_t seq, const std::string& text, int64_t at) = 0;
  // A delete leaves a tombstone: the text is gone (""), deleted_at = at, its reactions removed
  // and its attachments list emptied (remove_message_attachments removes their rows);
  // seq, author and time stay, so replies and numbering stay coherent.
  virtual int64_t delete_message(int64_t room_id, int64_t seq, int64_t at) = 0;
  // Adds (on) or removes the user's reaction `emoji`: 0 when it was already so.
  virtual int64_t set_reaction(int64_t room_id, int64_t seq, int64_t user_id, const std::string& emoji, bool on,
                               int64_t at) = 0;
  // Replaces who the message mentions (an edit; append_messages does it for new messages): the
  // members of the room `request` names, except `author_id`, and everyone but the author for
  // @room within its limit. Returns what is stored now. No change number of its own: it is part
  // of the edit that called it. Deletes clear mentions by themselves.
  virtual Mentions set_mentions(int64_t room_id, int64_t seq, int64_t author_id, const MentionRequest& request) = 0;
  // Up to `limit` messages whose change is > after_change, by change ascending: what a client
  // that holds change `after_change` of the room must update.
  virtual std::vector<Message> messages_changed_after(int64_t room_id, int64_t after_change, int limit) = 0;

  // ---- attachments ----
  // Stores a new, unsent attachment (seq 0), unless its uploader already has `max_unsent` unsent
  // ones: then nothing is stored and it returns false. Counted and inserted at once (one
  // statement on SQLite; on PostgreSQL after locking the uploader's row), so the limit holds
  // however many replicas take uploads. Throws StoreError(not_found) when its room or uploader
  // does not exist, conflict when its id exists.
  virtual bool create_attachment(const Attachment& attachment, size_t max_unsent) = 0;
  virtual std::optional<Attachment> find_attachment(const std::string& id) = 0;
  // The user's attachments not sent yet (the limit on what an uploader may leave lying around).
  virtual size_t count_unsent_attachments(int64_t uploader_id) = 0;
  // Removes the attachments of message (room_id, seq) (a delete: Store::delete_message already
  // emptied Message::attachments) and returns the blob ids no attachment uses any more, for the
  // caller to remove from the BlobStore once this is committed.
  virtual std::vector<std::string> remove_message_attachments(int64_t room_id, int64_t seq) = 0;
  // Removes unsent attachments created before `created_before` (at most `limit` of them) and
  // returns the blob ids no attachment uses any more.
  virtual std::vector<std::string> remove_expired_attachments(int64_t created_before, int limit) = 0;
  // Removes the attachment `id` if it is unsent and `uploader_id` uploaded it, and returns the
  // blob ids no attachment uses any more; nullopt (nothing removed) otherwise.
  virtual std::optional<std::vector<std::string>> remove_unsent_attachment(const std::string& id,
                                                                           int64_t uploader_id) = 0;
  // Whether an attachment uses `blob` (as its image or its thumbnail): asked again right before
  // a blob is removed (chat/attachment_blobs.hpp).
  virtual bool attachment_blob_used(const std::string& blob) = 0;

  // ---- search ----
  // Messages whose text holds every one of `words` (whole words, any case; words are letters and
  // digits only: the chat splits what users type), in rooms `user_id` may read (every public
  // room, and the user's direct conversations), with id < before_id (<= 0: no bound), newest
  // first, at most `limit`. Deleted messages have no text, so they are never found; an edit is
  // found by its new text only. SQLite: FTS5; PostgreSQL: a tsvector with a GIN index.
  virtual std::vector<Message> search_messages(int64_t user_id, const std::vector<std::string>& words,
                                               int64_t before_id, int limit) = 0;
  // search_messages finds a message once it is indexed: this indexes up to `limit` of the
  // messages stored since it last ran, oldest first, and returns how many (0: up to date).
  // The chat runs it on the writer about once a second and before every search, so a search
  // finds everything stored before it. SQLite indexes in these batches: FTS5 writes an index
  // segment per transaction, and one per group commit cost the chat path more than a third of
  // its CPU (BENCHMARKS.md). PostgreSQL's GIN index is kept by the insert itself (its pending
  // list already batches): always 0. Edits and deletes of indexed messages reach the index as
  // they happen, on both.
  virtual size_t index_search(size_t limit) = 0;
  // False when index_search has nothing to do here (PostgreSQL indexes as it writes): the
  // periodic indexing job is then not scheduled at all.
  virtual bool indexes_search_in_batches() const { return true; }

  // ---- read positions ----
  // The user has read the room up to `seq` (never moves back; capped at the room's last_seq).
  // Returns the position now stored; 0 when the user is not a member. A member starts at the
  // room's last_seq when added (add_member, direct_room): what was there before is not news.
  virtual int64_t mark_read(int64_t room_id, int64_t user_id, int64_t seq) = 0;
  // How far the member has read; nullopt when the user is not a member.
  virtual std::optional<int64_t> read_position(int64_t room_id, int64_t user_id) = 0;
  // Messages after the user's read position that mention the user (by name or @room).
  virtual int64_t unread_mentions(int64_t room_id, int64_t user_id) = 0;

  // ---- members ----
  // Up to `limit` members of the room whose name_key starts with `key_prefix` (all when empty),
  // by name_key: what @-completion offers.
  virtual std::vector<User> members_named(int64_t room_id, const std::string& key_prefix, int limit) = 0;

  // ---- blobs (uploaded files kept in the database: see blob/db_blob_store.hpp) ----
  // `id` is chosen by the caller (the content hash; the store does not check it). Idempotent:
  // putting an id that exists keeps the stored bytes and succeeds, also when two connections
  // race with the same id.
  virtual void put_blob(const std::string& id, std::string_view bytes) = 0;
  virtual std::optional<std::string> get_blob(const std::string& id) = 0;
  // Returns whether something was removed.
  virtual bool delete_blob(const std::string& id) = 0;

  // ---- secrets every replica shares (the device cookies' MAC key: chat/device_cookie.hpp) ----
  // The secret stored under `name`. When there is none yet, `candidate` is stored and returned:
  // replicas starting together each offer one, and all of them get the first one written.
  virtual std::string shared_secret(const std::string& name, const std::string& candidate) = 0;
};

}  // namespace dchat::store
