#pragma once
// The chat's real-time side: authenticates Socket.IO connections by their session cookie and
// handles the events of docs/CHAT_PROTOCOL.md. Every rule is checked on the server, here and in
// chat_queries.hpp, for every read and write (membership of direct conversations included).
// Store calls run on the StoreExecutor; their results come back on the socket's shard.
//
// The service is spread over a few files by what it does: chat_service.cpp (set-up, admission,
// broadcasts the rest of the server asks for), chat_connections.cpp (authentication, a
// connection's start and end, its rooms' presence), chat_rooms.cpp (room:join, room:leave,
// dm:open), chat_messages.cpp (message:send, history, sync, typing), chat_changes.cpp
// (message:edit, message:delete, reaction:set, room:read), chat_search.cpp (search). What each request reads and
// writes in the store is in chat_queries.hpp; the JSON it answers with in views.hpp.
#include <chrono>
#include <memory>

#include "blob/blob_store.hpp"
#include "chat/chat_limits.hpp"
#include "chat/chat_results.hpp"
#include "chat/presence.hpp"
#include "core/loop_lag.hpp"
#include "core/token_buckets.hpp"
#include "socketio/server.hpp"
#include "store/store_executor.hpp"

namespace dchat::chat {

inline constexpr const char* kSessionCookie = "chat_session";

class ChatService {
 public:
  // `lag` (may be null) tells how far behind the event loops are (core/loop_lag.hpp).
  ChatService(socketio::Namespace& nsp, store::StoreExecutor& store, Presence& presence, ChatLimits limits = {},
              const core::LoopLag* lag = nullptr);
  void install();

  // Ends the connections of a sign-in session (signed out), or of every session of a user
  // (signed out everywhere), on every replica.
  void end_session(const std::string& token_hash);
  void end_user_sessions(int64_t user_id);

  // Where uploaded images live: deleting a message with attachments removes the blobs no
  // other attachment uses (set once, before install()).
  void set_blob_store(blob::BlobStore* blobs) { blobs_ = blobs; }
  // Removes these blobs on the store's pool (never on an I/O thread); failures are logged.
  void remove_blobs(std::vector<std::string> ids);

  // Tells everyone sharing a room with the user about the user's new profile (avatar).
  void announce_user_update(const boost::json::object& user, const std::vector<int64_t>& room_ids);
  // Shows the room's online list to this replica's members (another replica changed it).
  void broadcast_presence(int64_t room_id);
  // Cluster mode, after this replica's broker connection came back: messages published while it
  // was down never reached other replicas (or this one), so every client fetches what it missed
  // from the store (`resync` → `sync`, by seq: nothing is lost or shown twice).
  void ask_clients_to_resync();

 private:
  using SocketPtr = std::shared_ptr<socketio::Socket>;
  void authenticate(const SocketPtr& socket, std::function<void(std::optional<socketio::ConnectError>)> next);
  void on_connect(const SocketPtr& socket);
  void on_disconnect(const SocketPtr& socket);
  void enter_room(const SocketPtr& socket, int64_t room_id);
  void leave_room(const SocketPtr& socket, int64_t room_id);
  // A socket joined or left a room channel (any way): the room's presence follows.
  void on_room_change(const SocketPtr& socket, const std::string& channel, bool joined);
  // After a join or dm:open: the socket follows the room, then gets its answer.
  void complete_join(const SocketPtr& socket, const socketio::Ack& ack, Opened opened);

  void send_message(const SocketPtr& socket, socketio::Message&& msg, socketio::Ack ack);
  void join_room(const SocketPtr& socket, socketio::Message&& msg, socketio::Ack ack);
  void leave_room_event(const SocketPtr& socket, socketio::Message&& msg, socketio::Ack ack);
  void open_direct(const SocketPtr& socket, socketio::Message&& msg, socketio::Ack ack);
  void history(const SocketPtr& socket, socketio::Message&& msg, socketio::Ack ack);
  void sync(const SocketPtr& socket, socketio::Message&& msg, socketio::Ack ack);
  void typing(const SocketPtr& socket, socketio::Message&& msg, socketio::Ack ack);
  void edit_message(const SocketPtr& socket, socketio::Message&& msg, socketio::Ack ack);
  void delete_message(const SocketPtr& socket, socketio::Message&& msg, socketio::Ack ack);
  void set_reaction(const SocketPtr& socket, socketio::Message&& msg, socketio::Ack ack);
  void mark_read(const SocketPtr& socket, socketio::Message&& msg, socketio::Ack ack);
  void search(const SocketPtr& socket, socketio::Message&& msg, socketio::Ack ack);
  void members(const SocketPtr& socket, socketio::Message&& msg, socketio::Ack ack);
  // The common part of message:edit, message:delete and reaction:set: the user's change rate,
  // the writer (the room locked), the ack, and `message:changed` to the room when it changed.
  void change_message(const SocketPtr& socket, ChangeRequest request, const socketio::Ack& ack);

  // Refuses (with an `overloaded` ack) a request of a connection that has too many waiting, or
  // any request while this event loop is far behind.
  bool admit(const SocketPtr& socket, const socketio::Ack& ack);
  // The common part of the lookups (search, room:members), once their own arguments are read:
  // the page size asked (`limit`, between 1 and page.max, page.fallback when absent), the user's
  // rate (`bucket`) and admit(). nullopt: refused, the ack is answered.
  struct LookupPage {
    int fallback;
    int max;
  };
  struct Lookup {
    int64_t user;
    int limit;
  };
  std::optional<Lookup> admit_lookup(const SocketPtr& socket, const boost::json::object& args, LookupPage page,
                                     core::TokenBuckets& bucket, const socketio::Ack& ack, std::string_view doing);
  // Takes one of the user's tokens from `bucket`; when there is none, refuses with
  // `rate_limited` and the wait ("you are <doing> too fast") and returns false.
  bool within_rate(core::TokenBuckets& bucket, int64_t user, const socketio::Ack& ack, std::string_view doing);
  // Re-checks the connection's session when it is due to expire (sliding expiry may have moved
  // it on); a session that is gone ends the connection.
  void watch_session_expiry(const SocketPtr& socket);

  // Runs job on a store worker (the pool), then done(result) on the socket's shard (defined in
  // chat_service_detail.hpp). message:send goes to the writer instead (StoreExecutor::async_append).
  template <typename T>
  void run(const SocketPtr& socket, std::function<T(store::Store&)> job,
           std::function<void(store::StoreResult<T>&)> done);
  // done(result) on the socket's shard, counted among the connection's waiting requests until
  // then (admit's limit).
  template <typename T>
  auto on_shard(const SocketPtr& socket, std::function<void(store::StoreResult<T>&)> done);

  socketio::Namespace& nsp_;
  store::StoreExecutor& store_;
  Presence& presence_;
  ChatLimits limits_;
  blob::BlobStore* blobs_ = nullptr;
  const core::LoopLag* lag_;
  core::TokenBuckets sends_;    // message:send per user id
  core::TokenBuckets changes_;  // edits, deletes and reactions per user id
  core::TokenBuckets reads_;    // room:read per user id
  core::TokenBuckets searches_; // search per user id
  core::TokenBuckets lookups_;  // room:members per user id
};

}  // namespace dchat::chat
