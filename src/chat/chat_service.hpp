#pragma once
// The chat's real-time side: authenticates Socket.IO connections by their session cookie and
// handles the events of docs/CHAT_PROTOCOL.md. Every rule is checked here, on the server, for
// every read and write (membership of direct conversations included). Store calls run on the
// StoreExecutor; their results come back on the socket's shard.
#include <memory>

#include "chat/presence.hpp"
#include "socketio/server.hpp"
#include "store/store_executor.hpp"

namespace dchat::chat {

inline constexpr const char* kSessionCookie = "chat_session";

class ChatService {
 public:
  ChatService(socketio::Namespace& nsp, store::StoreExecutor& store, Presence& presence);
  void install();

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

  // Runs job on a store worker, then done(result) on the socket's shard.
  template <typename T>
  void run(const SocketPtr& socket, std::function<T(store::Store&)> job,
           std::function<void(store::StoreResult<T>&)> done);

  socketio::Namespace& nsp_;
  store::StoreExecutor& store_;
  Presence& presence_;
};

}  // namespace dchat::chat
