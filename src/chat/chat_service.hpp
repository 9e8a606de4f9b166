#pragma once
// The chat's real-time side: authenticates Socket.IO connections by their session cookie and
// handles the events of docs/CHAT_PROTOCOL.md. Every rule is checked here, on the server, for
// every read and write (membership of direct conversations included). Store calls run on the
// StoreExecutor; their results come back on the socket's shard.
#include <chrono>
#include <memory>

#include "chat/presence.hpp"
#include "core/loop_lag.hpp"
#include "core/token_buckets.hpp"
#include "socketio/server.hpp"
#include "store/store_executor.hpp"

namespace dchat::chat {

inline constexpr const char* kSessionCookie = "chat_session";

// What one user, and one connection, may make the server do (docs/SECURITY.md).
struct ChatLimits {
  uint32_t message_rate = 5;               // messages per second per user, sustained
  uint32_t message_burst = 20;             // ... after a quiet while
  size_t max_pending_per_connection = 32;  // requests of one connection waiting for the store
  size_t max_rooms_per_user = 200;         // memberships (public and direct)
  uint32_t room_creations_per_hour = 20;   // new public rooms per user
  // Bytes of messages in one answer (sync, history, join): far below one connection's outbox,
  // so an answer is never what makes a client "slow".
  size_t answer_budget = 1u << 20;
  // Requests are refused ("overloaded") while the connection's event loop lags this much.
  std::chrono::milliseconds overload_lag{250};
};

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
  void complete_join(const SocketPtr& socket, const socketio::Ack& ack, boost::json::object result);

  void send_message(const SocketPtr& socket, socketio::Message&& msg, socketio::Ack ack);
  void join_room(const SocketPtr& socket, socketio::Message&& msg, socketio::Ack ack);
  void leave_room_event(const SocketPtr& socket, socketio::Message&& msg, socketio::Ack ack);
  void open_direct(const SocketPtr& socket, socketio::Message&& msg, socketio::Ack ack);
  void history(const SocketPtr& socket, socketio::Message&& msg, socketio::Ack ack);
  void sync(const SocketPtr& socket, socketio::Message&& msg, socketio::Ack ack);
  void typing(const SocketPtr& socket, socketio::Message&& msg, socketio::Ack ack);

  // Refuses (with an `overloaded` ack) a request of a connection that has too many waiting, or
  // any request while this event loop is far behind.
  bool admit(const SocketPtr& socket, const socketio::Ack& ack);
  // Re-checks the connection's session when it is due to expire (sliding expiry may have moved
  // it on); a session that is gone ends the connection.
  void watch_session_expiry(const SocketPtr& socket);

  // Runs job on a store worker, then done(result) on the socket's shard.
  template <typename T>
  void run(const SocketPtr& socket, std::function<T(store::Store&)> job,
           std::function<void(store::StoreResult<T>&)> done);

  socketio::Namespace& nsp_;
  store::StoreExecutor& store_;
  Presence& presence_;
  ChatLimits limits_;
  const core::LoopLag* lag_;
  core::TokenBuckets sends_;  // message:send per user id
};

}  // namespace dchat::chat
