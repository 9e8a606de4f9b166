// ChatService: a connection's life. Authentication by the session cookie, the rooms it is in
// when it connects, the session's expiry, and the room presence it joins and leaves.
#include <spdlog/spdlog.h>

#include "chat/chat_queries.hpp"
#include "chat/chat_service.hpp"
#include "chat/chat_service_detail.hpp"
#include "chat/credentials.hpp"
#include "chat/message_rules.hpp"
#include "chat/views.hpp"
#include "core/log_throttle.hpp"
#include "http/cookies.hpp"

namespace dchat::chat {

namespace {

struct Authenticated {
  store::User user;
  int64_t expires_at = 0;
};

std::optional<Authenticated> find_signed_in(Store& s, const std::string& hash, int64_t now) {
  auto session = s.find_session(hash, now);
  if (!session) return std::nullopt;
  auto user = s.find_user(session->user_id);
  if (!user) return std::nullopt;
  return Authenticated{std::move(*user), session->expires_at};
}

}  // namespace

void ChatService::authenticate(const SocketPtr& socket,
                               std::function<void(std::optional<socketio::ConnectError>)> next) {
  auto token = http::cookie_value(socket->handshake().cookie, kSessionCookie);
  if (!token) {
    next(socketio::ConnectError{"unauthorized", nullptr});
    return;
  }
  const std::string hash = token_hash(*token);
  const int64_t now = now_ms();
  run<std::optional<Authenticated>>(
      socket, [hash, now](Store& s) { return find_signed_in(s, hash, now); },
      [socket, next, hash](StoreResult<std::optional<Authenticated>>& r) {
        if (!r) {
          CHAT_LOG_THROTTLED(spdlog::level::warn, "chat: cannot authenticate a connection: {}", r.message);
          next(socketio::ConnectError{r.error == store::StoreError::Kind::overloaded ? "overloaded" : "storage_unavailable",
                                      nullptr});
        } else if (!*r.value) {
          next(socketio::ConnectError{"unauthorized", nullptr});
        } else {
          socket->data = user_json((*r.value)->user);
          auto conn = std::make_shared<Connection>();
          conn->token_hash = hash;
          conn->session_expires_at = (*r.value)->expires_at;
          socket->app_state = std::move(conn);
          next(std::nullopt);
        }
      });
}

void ChatService::on_connect(const SocketPtr& socket) {
  const int64_t uid = user_id_of(*socket);
  socket->join(user_channel(uid));
  // Signing this session out (or its expiry) ends this connection, on whichever replica.
  socket->join(session_channel(connection_of(*socket).token_hash));
  watch_session_expiry(socket);
  const int64_t now = now_ms();
  run<std::vector<RoomView>>(
      socket, [uid, now](Store& s) { return rooms_on_connect(s, uid, now); },
      [this, socket](StoreResult<std::vector<RoomView>>& r) {
        if (!socket->connected()) return;
        if (!r) {
          socket->emit("error", Message{json::array{refusal_json(storage_refusal(r))}, {}});
          socket->disconnect();
          return;
        }
        for (const auto& view : *r.value) enter_room(socket, view.room.id);
        socket->emit("ready", Message{json::array{ready_json(public_user(*socket), *r.value, limits_)}, {}});
      });
}

void ChatService::on_disconnect(const SocketPtr& socket) {
  if (!socket->data.is_object()) return;
  if (socket->app_state) {
    if (auto& expiry = connection_of(*socket).expiry) expiry->cancel();
  }
  const int64_t uid = user_id_of(*socket);
  for (const auto& room : socket->rooms()) {
    if (!room.starts_with("room:")) continue;
    const int64_t id = std::stoll(room.substr(5));
    if (presence_.leave(id, uid)) broadcast_presence(id);
  }
}

void ChatService::watch_session_expiry(const SocketPtr& socket) {
  auto& conn = connection_of(*socket);
  const auto wait = std::chrono::milliseconds(std::max<int64_t>(conn.session_expires_at - now_ms(), 0) + 1000);
  if (!conn.expiry) conn.expiry = std::make_unique<boost::asio::steady_timer>(socket->context());
  conn.expiry->expires_after(std::min<std::chrono::milliseconds>(wait, std::chrono::hours(24)));
  conn.expiry->async_wait([this, weak = std::weak_ptr<socketio::Socket>(socket)](boost::system::error_code ec) {
    auto socket = weak.lock();
    if (ec || !socket || !socket->connected()) return;
    const std::string hash = connection_of(*socket).token_hash;
    const int64_t now = now_ms();
    run<std::optional<store::SessionRecord>>(
        socket, [hash, now](Store& s) { return s.find_session(hash, now); },
        [this, socket](StoreResult<std::optional<store::SessionRecord>>& r) {
          if (!socket->connected()) return;
          if (r && !*r.value) {
            spdlog::info("chat: the session of user {} expired, disconnecting", user_id_of(*socket));
            socket->disconnect();
            return;
          }
          // Extended meanwhile (or the store could not say: look again later).
          if (r) connection_of(*socket).session_expires_at = (*r.value)->expires_at;
          watch_session_expiry(socket);
        });
  });
}

// Presence follows the room channels (ChatService::install: on_room_change), however a socket
// came to be in one: its own request, or sockets_join from any replica (the other person of a
// new conversation, the user's other tabs).
void ChatService::enter_room(const SocketPtr& socket, int64_t room_id) { socket->join(room_channel(room_id)); }

void ChatService::leave_room(const SocketPtr& socket, int64_t room_id) { socket->leave(room_channel(room_id)); }

void ChatService::on_room_change(const SocketPtr& socket, const std::string& channel, bool joined) {
  if (!channel.starts_with("room:") || !socket->data.is_object() || !socket->data.as_object().contains("id")) return;
  int64_t room_id = 0;
  try {
    room_id = std::stoll(channel.substr(5));
  } catch (const std::exception&) {
    return;
  }
  const int64_t uid = user_id_of(*socket);
  if (!joined) {
    if (presence_.leave(room_id, uid)) broadcast_presence(room_id);
    return;
  }
  if (presence_.join(room_id, uid, public_user(*socket))) {
    broadcast_presence(room_id);
  } else {
    socket->emit("presence",
                 Message{json::array{json::object{{"roomId", room_id}, {"online", presence_.online(room_id)}}}, {}});
  }
}

}  // namespace dchat::chat
