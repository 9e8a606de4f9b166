#pragma once
// The Store on PostgreSQL (libpq), for several chatd replicas sharing one database. Each PgStore
// object is one connection; give every store worker thread its own object. Same semantics as
// SqliteStore (see sqlite_store.hpp for the rules store.hpp leaves open; the contract suite holds
// both to them), with PostgreSQL's ways of keeping them under concurrent writers:
// - message seq: UPDATE rooms SET last_seq = last_seq + 1 ... RETURNING and the INSERT run in one
//   transaction; the row lock on the room serialises writers of that room across connections and
//   processes, and a failure rolls the bump back, so seqs stay gap-free and unique;
// - idempotent appends: a unique index on (author_id, client_id); the INSERT uses ON CONFLICT DO
//   NOTHING, so a racing duplicate rolls its transaction back and returns the first message;
// - direct rooms and public rooms: INSERT ... ON CONFLICT DO NOTHING on their unique keys;
// - migrations: see pg_migrations.hpp (advisory lock).
// Errors: unique violations are StoreError(conflict) (a taken user or room name: NameTaken, see
// store.hpp), missing references not_found, and a lost
// connection (server restart, pg_terminate_backend) unavailable for the call that noticed; the
// next call reconnects by itself (see pg_connection.hpp).
#include <memory>
#include <string>

#include "store/pg_connection.hpp"
#include "store/store.hpp"

namespace dchat::store {

class PgStore final : public Store {
 public:
  // Connects to `url` (postgres://user:pass@host:port/db). Throws StoreError(unavailable) when the
  // server cannot be reached. Call migrate() before anything else.
  explicit PgStore(const std::string& url, PgSettings settings = {});
  ~PgStore() override;
  PgStore(const PgStore&) = delete;
  PgStore& operator=(const PgStore&) = delete;

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
  bool indexes_search_in_batches() const override { return false; }  // each insert indexes (pg_search.cpp)

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

  // The server process of the current connection (tests, diagnostics).
  int backend_pid() { return db_->backend_pid(); }

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
  // append_messages in two statements (pg_append_batch.cpp); nullopt when another connection
  // stored one of the batch's client ids meanwhile (the caller takes the batch back and tries
  // again).
  std::optional<std::vector<AppendOutcome>> try_append_batch(const std::vector<AppendRequest>& batch);
  // A message the batch stored: the quote it shows and the mentions it asked for.
  void complete_stored(const AppendRequest& request, Message& message);
  // set_mentions, for a message just stored too (`fresh`: no rows of it to replace).
  Mentions write_mentions(int64_t room_id, int64_t seq, int64_t author_id, const MentionRequest& request, bool fresh);

  // append_messages with attachments (pg_attachments.cpp): why the request's attachments cannot
  // be sent (nullopt: they can; their rows stay locked), and linking them to the new message.
  std::optional<AppendOutcome::Status> check_attachments(const AppendRequest& request);
  std::vector<MessageAttachment> link_attachments(int64_t room_id, int64_t seq, const std::vector<std::string>& ids);

  std::unique_ptr<PgConnection> db_;
};

}  // namespace dchat::store
