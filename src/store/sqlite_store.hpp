#pragma once
// The Store on SQLite: the embedded default, one database file (or ":memory:" for tests). Each
// SqliteStore object is one connection; give every store worker thread its own object. Several
// objects (threads or processes) may share one file: writes that read-then-write (message seq,
// direct rooms, migrations) run in BEGIN IMMEDIATE transactions, so they are serialized by
// SQLite's write lock and a second writer waits up to `busy_timeout` before the call fails with
// StoreError(unavailable).
//
// Beyond what store.hpp says, this implementation (and the contract tests that hold every Store
// to it) decides:
// - names compare by name_key() (see name_key.hpp for exactly which letters fold) and are
//   unique by name_skeleton() too (name_skeleton.hpp: names that look alike);
// - a session whose expires_at <= now is expired (not found, and removed by
//   delete_expired_sessions(now));
// - writes naming a user or room that does not exist throw StoreError(not_found): set_avatar,
//   create_session, add_member, direct_room, append_message; extend_session, delete_session and
//   remove_member on something missing do nothing;
// - public_rooms(...) and rooms_of() are ordered by room id (creation order);
// - direct_room(a, a) is allowed (a note-to-self room with one member);
// - messages_before/after with limit <= 0 return nothing.
#include <chrono>
#include <memory>
#include <string>

#include "store/store.hpp"

namespace dchat::store {

class SqliteConnection;

class SqliteStore final : public Store {
 public:
  // Opens (creating when missing, with its parent directories) the database at `path`.
  // Throws StoreError(unavailable) when it cannot be opened. Call migrate() before anything else.
  explicit SqliteStore(const std::string& path,
                       std::chrono::milliseconds busy_timeout = std::chrono::milliseconds(5000));
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  void migrate() override;
  void ping() override;
  void begin_group() override;
  void begin_group_job() override;
  void end_group_job(bool keep) override;
  void commit_group() override;
  void rollback_group() noexcept override;
  void lock_rooms(const std::vector<int64_t>& ids) override;

  std::optional<UserCredentials> find_credentials(const std::string& name) override;
  std::optional<User> find_user(int64_t id) override;
  std::optional<User> find_user_by_name(const std::string& name) override;
  NameResult<User> create_user(const std::string& name, const std::string& password_hash, int64_t now) override;
  void set_avatar(int64_t user_id, const std::string& blob_id, const std::string& small_blob_id) override;

  void create_session(const SessionRecord& session) override;
  std::optional<SessionRecord> find_session(const std::string& token_hash, int64_t now) override;
  void extend_session(const std::string& token_hash, int64_t expires_at) override;
  void delete_session(const std::string& token_hash) override;
  size_t delete_expired_sessions(int64_t now) override;
  size_t delete_user_sessions(int64_t user_id) override;

  Room ensure_public_room(const std::string& name, int64_t created_by, int64_t now) override;
  NameResult<Room> create_public_room(const std::string& name, int64_t created_by, int64_t now) override;
  std::optional<Room> find_room(int64_t room_id) override;
  std::optional<Room> find_public_room(const std::string& name) override;
  std::vector<Room> public_rooms(int64_t after_id, int limit) override;
  size_t count_rooms_created(int64_t user_id, int64_t since) override;
  Room direct_room(int64_t user_a, int64_t user_b, int64_t now) override;
  std::vector<Room> rooms_of(int64_t user_id) override;
  void add_member(int64_t room_id, int64_t user_id, int64_t now) override;
  void remove_member(int64_t room_id, int64_t user_id) override;
  bool is_member(int64_t room_id, int64_t user_id) override;

  AppendResult append_message(int64_t room_id, int64_t author_id, const std::string& text,
                              const std::string& client_id, int64_t now) override;
  std::vector<AppendOutcome> append_messages(const std::vector<AppendRequest>& batch) override;
  std::vector<Message> messages_before(int64_t room_id, int64_t before_seq, int limit) override;
  std::vector<Message> messages_after(int64_t room_id, int64_t after_seq, int limit) override;
  std::optional<Message> find_message(int64_t room_id, int64_t seq) override;

  int64_t edit_message(int64_t room_id, int64_t seq, const std::string& text, int64_t at) override;
  int64_t delete_message(int64_t room_id, int64_t seq, int64_t at) override;
  int64_t set_reaction(int64_t room_id, int64_t seq, int64_t user_id, const std::string& emoji, bool on,
                       int64_t at) override;
  std::vector<Message> messages_changed_after(int64_t room_id, int64_t after_change, int limit) override;
  Mentions set_mentions(int64_t room_id, int64_t seq, int64_t author_id, const MentionRequest& request) override;
  int64_t mark_read(int64_t room_id, int64_t user_id, int64_t seq) override;
  std::optional<int64_t> read_position(int64_t room_id, int64_t user_id) override;
  int64_t unread_mentions(int64_t room_id, int64_t user_id) override;
  std::vector<User> members_named(int64_t room_id, const std::string& key_prefix, int limit) override;
  std::vector<Message> search_messages(int64_t user_id, const std::vector<std::string>& words, int64_t before_id,
                                       int limit) override;
  size_t index_search(size_t limit) override;

  bool create_attachment(const Attachment& attachment, size_t max_unsent) override;
  std::optional<Attachment> find_attachment(const std::string& id) override;
  size_t count_unsent_attachments(int64_t uploader_id) override;
  std::vector<std::string> remove_message_attachments(int64_t room_id, int64_t seq) override;
  std::vector<std::string> remove_expired_attachments(int64_t created_before, int limit) override;
  std::optional<std::vector<std::string>> remove_unsent_attachment(const std::string& id, int64_t uploader_id) override;
  bool attachment_blob_used(const std::string& blob) override;

  void put_blob(const std::string& id, std::string_view bytes) override;
  std::optional<std::string> get_blob(const std::string& id) override;
  bool delete_blob(const std::string& id) override;

  std::string shared_secret(const std::string& name, const std::string& candidate) override;

 private:
  std::optional<Room> find_public_room_by_key(const std::string& key);
  // By name_key, else by name_skeleton: the room a name is, or the one it looks like.
  std::optional<Room> find_public_room_like(const std::string& key, const std::string& skeleton);
  std::optional<Room> find_direct_room_by_key(const std::string& dm_key);
  std::optional<Message> find_message_by_client_id(int64_t author_id, const std::string& client_id);
  // The messages with their reactions read and attached (one query for all of them).
  std::vector<Message> with_reactions(std::vector<Message> messages);
  // Takes the room's next change number and gives it to the message; throws not_found when the
  // message does not exist.
  int64_t next_change(int64_t room_id, int64_t seq);

  // append_messages with attachments: why the request's attachments cannot be sent (nullopt:
  // they can), and linking them to the new message (returns what it shows).
  std::optional<AppendOutcome::Status> check_attachments(const AppendRequest& request);
  std::vector<MessageAttachment> link_attachments(int64_t room_id, int64_t seq, const std::vector<std::string>& ids);

  std::unique_ptr<SqliteConnection> db_;
};

}  // namespace dchat::store
