#include "chat/chat_service.hpp"

#include "core/metrics.hpp"
#include "core/log_throttle.hpp"
#include "core/utf8.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include "chat/credentials.hpp"
#include "chat/message_rules.hpp"
#include "chat/name_rules.hpp"
#include "chat/views.hpp"
#include "http/cookies.hpp"
#include "socketio/socket.hpp"

namespace dchat::chat {

namespace json = boost::json;
using socketio::Ack;
using socketio::Message;
using store::Store;
using store::StoreResult;

namespace {

// The first argument as an object ({} when absent or not an object).
json::object args_object(const Message& msg) {
  if (!msg.args.empty() && msg.args.front().is_object()) return msg.args.front().as_object();
  return {};
}

std::optional<int64_t> int_field(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64() && v->as_uint64() <= INT64_MAX) return static_cast<int64_t>(v->as_uint64());
  return std::nullopt;
}

std::optional<std::string> string_field(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v || !v->is_string()) return std::nullopt;
  return std::string(v->as_string());
}

void reply(const Ack& ack, json::object body) {
  if (ack) ack(Message{json::array{std::move(body)}, {}});
}

json::object with_retry(json::object error, std::chrono::milliseconds retry_after) {
  error["retryAfterMs"] = std::max<int64_t>(retry_after.count(), 1);
  return error;
}

json::object storage_error(const store::StoreError::Kind kind, const std::string& detail) {
  if (kind == store::StoreError::Kind::overloaded) {
    core::metrics().overloaded.inc();
    return with_retry(error_json("overloaded", "the server is busy, try again in a moment"),
                      std::chrono::milliseconds(1000));
  }
  CHAT_LOG_THROTTLED(spdlog::level::warn, "chat: storage failed: {}", detail);
  return error_json("storage_unavailable", "the message store is unavailable, try again");
}

template <typename T>
json::object storage_error(const store::StoreResult<T>& r) {
  return storage_error(r.error, r.message);
}

int64_t user_id_of(const socketio::Socket& socket) { return socket.data.as_object().at("id").as_int64(); }

// The chat's own bookkeeping for one connection (socketio::Socket::app_state).
struct Connection {
  std::string token_hash;           // the sign-in session it authenticated with
  int64_t session_expires_at = 0;   // ms since the epoch
  size_t pending = 0;               // requests waiting for the store
  std::unique_ptr<boost::asio::steady_timer> expiry;
};

Connection& connection_of(const socketio::Socket& socket) { return *static_cast<Connection*>(socket.app_state.get()); }

// The User object of the socket's user, without the connection's own bookkeeping fields.
json::object public_user(const socketio::Socket& socket) {
  json::object user = socket.data.as_object();
  user.erase("typingAt");
  return user;
}

// Whether `user` may read `room`: public rooms are open to every signed-in user, direct
// conversations only to their two members.
bool may_read(Store& s, const store::Room& room, int64_t user) {
  return room.kind == store::RoomKind::public_room || s.is_member(room.id, user);
}

std::optional<store::User> peer_of(Store& s, const store::Room& room, int64_t user) {
  if (room.kind != store::RoomKind::direct) return std::nullopt;
  for (int64_t member : room.direct_members)
    if (member != user) return s.find_user(member);
  return std::nullopt;
}

}  // namespace

ChatService::ChatService(socketio::Namespace& nsp, store::StoreExecutor& store, Presence& presence, ChatLimits limits,
                         const core::LoopLag* lag)
    : nsp_(nsp),
      store_(store),
      presence_(presence),
      limits_(limits),
      lag_(lag),
      sends_(limits.message_rate, limits.message_burst) {}

template <typename T>
void ChatService::run(const SocketPtr& socket, std::function<T(Store&)> job,
                      std::function<void(StoreResult<T>&)> done) {
  // The socket is held until the result arrives: what a job stored must still be broadcast
  // even if its sender disconnected meanwhile.
  if (socket->app_state) ++connection_of(*socket).pending;
  store_.async_run<T>(std::move(job),
                      boost::asio::bind_executor(socket->context(), [socket, done = std::move(done)](StoreResult<T> r) {
                        if (socket->app_state) --connection_of(*socket).pending;
                        done(r);
                      }));
}

bool ChatService::admit(const SocketPtr& socket, const Ack& ack) {
  if (lag_ && limits_.overload_lag.count() > 0) {
    // Refusing costs almost nothing; accepting more than the loop can do only makes every
    // answer later. Clients retry after the hint (the web UI resends with the same clientId).
    if (const auto lag = lag_->current(); lag > limits_.overload_lag) {
      core::metrics().overloaded.inc();
      CHAT_LOG_THROTTLED(spdlog::level::warn, "chat: event loop {} ms behind, refusing requests", lag.count());
      reply(ack, with_retry(error_json("overloaded", "the server is busy, try again in a moment"),
                            std::max(std::chrono::milliseconds(500), 2 * lag)));
      return false;
    }
  }
  if (connection_of(*socket).pending < limits_.max_pending_per_connection) return true;
  core::metrics().overloaded.inc();
  CHAT_LOG_THROTTLED(spdlog::level::info, "chat: user {} has {} requests waiting on one connection, refusing more",
                     user_id_of(*socket), connection_of(*socket).pending);
  reply(ack, with_retry(error_json("overloaded", "too many requests waiting for an answer: wait for them first"),
                        std::chrono::milliseconds(500)));
  return false;
}

// A namespace disconnect ("io server disconnect": socket.io clients do not reconnect by
// themselves and close their transport); a client that keeps its transport open anyway is closed
// after the connect timeout (socketio::Client).
void ChatService::end_session(const std::string& token_hash) {
  nsp_.to(session_channel(token_hash)).disconnect_sockets(false);
}

void ChatService::end_user_sessions(int64_t user_id) { nsp_.to(user_channel(user_id)).disconnect_sockets(false); }

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

void ChatService::install() {
  nsp_.use([this](const SocketPtr& socket, std::function<void(std::optional<socketio::ConnectError>)> next) {
    authenticate(socket, std::move(next));
  });
  nsp_.on_connection([this](const SocketPtr& socket) { on_connect(socket); });
  nsp_.on_disconnect([this](const SocketPtr& socket, std::string_view) { on_disconnect(socket); });
  auto bind = [this](auto method) {
    return [this, method](const SocketPtr& socket, Message&& msg, Ack ack) {
      (this->*method)(socket, std::move(msg), std::move(ack));
    };
  };
  nsp_.on("message:send", bind(&ChatService::send_message));
  nsp_.on("room:join", bind(&ChatService::join_room));
  nsp_.on("room:leave", bind(&ChatService::leave_room_event));
  nsp_.on("dm:open", bind(&ChatService::open_direct));
  nsp_.on("history", bind(&ChatService::history));
  nsp_.on("sync", bind(&ChatService::sync));
  nsp_.on("typing", bind(&ChatService::typing));
}

void ChatService::authenticate(const SocketPtr& socket,
                               std::function<void(std::optional<socketio::ConnectError>)> next) {
  auto token = http::cookie_value(socket->handshake().cookie, kSessionCookie);
  if (!token) {
    next(socketio::ConnectError{"unauthorized", nullptr});
    return;
  }
  const std::string hash = token_hash(*token);
  const int64_t now = now_ms();
  struct Authenticated {
    store::User user;
    int64_t expires_at = 0;
  };
  run<std::optional<Authenticated>>(
      socket,
      [hash, now](Store& s) -> std::optional<Authenticated> {
        auto session = s.find_session(hash, now);
        if (!session) return std::nullopt;
        auto user = s.find_user(session->user_id);
        if (!user) return std::nullopt;
        return Authenticated{std::move(*user), session->expires_at};
      },
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
  struct Ready {
    json::array rooms;
    std::vector<int64_t> ids;
  };
  const int64_t now = now_ms();
  run<Ready>(
      socket,
      [uid, now](Store& s) {
        // Everyone is in "general", as in the original.
        auto general = s.ensure_public_room("general", 0, now);
        if (!s.is_member(general.id, uid)) s.add_member(general.id, uid, now);
        Ready ready;
        for (const auto& room : s.rooms_of(uid)) {
          ready.rooms.push_back(room_json(room, true, peer_of(s, room, uid)));
          ready.ids.push_back(room.id);
        }
        return ready;
      },
      [this, socket](StoreResult<Ready>& r) {
        if (!socket->connected()) return;
        if (!r) {
          socket->emit("error", Message{json::array{storage_error(r)}, {}});
          socket->disconnect();
          return;
        }
        for (int64_t id : r.value->ids) enter_room(socket, id);
        socket->emit("ready", Message{json::array{json::object{{"user", public_user(*socket)}, {"rooms", r.value->rooms}}}, {}});
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

void ChatService::enter_room(const SocketPtr& socket, int64_t room_id) {
  const std::string channel = room_channel(room_id);
  if (socket->in_room(channel)) return;
  socket->join(channel);
  if (presence_.join(room_id, user_id_of(*socket), public_user(*socket))) {
    broadcast_presence(room_id);
  } else {
    socket->emit("presence",
                 Message{json::array{json::object{{"roomId", room_id}, {"online", presence_.online(room_id)}}}, {}});
  }
}

void ChatService::leave_room(const SocketPtr& socket, int64_t room_id) {
  const std::string channel = room_channel(room_id);
  if (!socket->in_room(channel)) return;
  socket->leave(channel);
  if (presence_.leave(room_id, user_id_of(*socket))) broadcast_presence(room_id);
}

// Local only: every replica computes the cluster-wide list itself (ClusterPresence) and shows it
// to its own members, so a change is never delivered twice or in two versions.
void ChatService::broadcast_presence(int64_t room_id) {
  nsp_.to(room_channel(room_id))
      .local()
      .emit("presence", Message{json::array{json::object{{"roomId", room_id}, {"online", presence_.online(room_id)}}}, {}});
}

void ChatService::ask_clients_to_resync() {
  nsp_.emit("resync");
}

void ChatService::announce_user_update(const json::object& user, const std::vector<int64_t>& room_ids) {
  presence_.update_user(user.at("id").as_int64(), user);
  socketio::BroadcastOperator op(nsp_);
  op.to(user_channel(user.at("id").as_int64()));
  for (int64_t id : room_ids) op.to(room_channel(id));
  op.emit("user:updated", Message{json::array{user}, {}});
}

void ChatService::send_message(const SocketPtr& socket, Message&& msg, Ack ack) {
  const auto args = args_object(msg);
  const auto room_id = int_field(args, "roomId");
  const auto raw_text = string_field(args, "text");
  const std::string client_id = string_field(args, "clientId").value_or("");
  if (!room_id) return reply(ack, error_json("bad_request", "roomId is required"));
  if (client_id.size() > kMaxClientIdBytes) return reply(ack, error_json("bad_request", "clientId is too long"));
  if (!core::is_valid_utf8(client_id) || client_id.find('\0') != std::string::npos)
    return reply(ack, error_json("bad_request", "clientId must be text"));
  const auto text = raw_text ? normalize_message_text(*raw_text) : std::nullopt;
  if (!text)
    return reply(ack, error_json("invalid_text", "a message is 1 to 4000 characters of text"));
  const int64_t uid = user_id_of(*socket);
  // Per user, whatever the number of connections: a client resending by clientId after a
  // refusal stores its message once.
  if (const auto wait = sends_.take(uid); wait.count() > 0) {
    core::metrics().rate_limited.inc();
    CHAT_LOG_THROTTLED(spdlog::level::info, "chat: user {} sends faster than {} messages/s, refusing", uid,
                       limits_.message_rate);
    return reply(ack, with_retry(error_json("rate_limited", "you are sending too fast, slow down"), wait));
  }
  if (!admit(socket, ack)) return;
  const int64_t now = now_ms();
  run<json::object>(
      socket,
      [uid, room = *room_id, text = *text, client_id, now](Store& s) {
        if (!s.find_room(room)) return error_json("not_found", "no such room");
        if (!s.is_member(room, uid)) return error_json("forbidden", "you are not a member of this room");
        auto stored = s.append_message(room, uid, text, client_id, now);
        // Idempotency keys are per author: the same key reused for another room is a client bug.
        if (stored.duplicate && stored.message.room_id != room)
          return error_json("bad_request", "this clientId was already used for another message");
        return json::object{{"ok", true}, {"message", message_json(stored.message)}, {"duplicate", stored.duplicate}};
      },
      [this, ack, room = *room_id](StoreResult<json::object>& r) {
        if (!r) return reply(ack, storage_error(r));
        json::object& result = *r.value;
        // Stored first, then broadcast once: a resent duplicate is only acknowledged again.
        if (result.at("ok").as_bool() && !result.at("duplicate").as_bool()) {
          core::metrics().messages_stored.inc();
          nsp_.to(room_channel(room)).emit("message", Message{json::array{result.at("message")}, {}});
        }
        result.erase("duplicate");
        reply(ack, std::move(result));
      });
}

void ChatService::join_room(const SocketPtr& socket, Message&& msg, Ack ack) {
  const auto args = args_object(msg);
  const auto room_id = int_field(args, "roomId");
  std::optional<std::string> name;
  if (auto raw = string_field(args, "name")) {
    NameCheck checked = check_name(*raw);
    if (!checked.ok()) return reply(ack, error_json("invalid_name", "the room name " + checked.problem));
    name = std::move(checked.name);
  }
  if (!room_id && !name) return reply(ack, error_json("bad_request", "roomId or name is required"));
  if (!admit(socket, ack)) return;
  const int64_t uid = user_id_of(*socket);
  const int64_t now = now_ms();
  run<json::object>(
      socket,
      [uid, room_id, name, now, limits = limits_](Store& s) {
        std::optional<store::Room> room;
        if (name) {
          room = s.find_public_room(*name);
          if (!room) {
            // Creating a room: limited per user per hour (cluster-wide: counted in the store).
            if (s.count_rooms_created(uid, now - 3600 * 1000) >= limits.room_creations_per_hour)
              return with_retry(error_json("rate_limited", "you have created too many rooms lately, join an existing one"),
                                std::chrono::minutes(10));
          }
        } else {
          room = s.find_room(*room_id);
        }
        if (room && room->kind == store::RoomKind::direct) {
          if (!s.is_member(room->id, uid)) return error_json("forbidden", "this conversation is private");
        } else if (!room || !s.is_member(room->id, uid)) {
          if (!room && !name) return error_json("not_found", "no such room");
          if (s.rooms_of(uid).size() >= limits.max_rooms_per_user)
            return error_json("too_many_rooms", "you are in too many rooms: leave one first");
          if (!room) room = s.ensure_public_room(*name, uid, now);
          s.add_member(room->id, uid, now);
        }
        bool truncated = false;
        json::array messages =
            newest_messages_json_within(s.messages_before(room->id, 0, kHistoryPage), limits.answer_budget / 2, truncated);
        return json::object{{"ok", true},
                            {"room", room_json(*room, true, peer_of(s, *room, uid))},
                            {"messages", std::move(messages)}};
      },
      [this, socket, ack, uid](StoreResult<json::object>& r) {
        if (!r) return reply(ack, storage_error(r));
        json::object& result = *r.value;
        if (!result.at("ok").as_bool()) return reply(ack, std::move(result));
        const auto& room = result.at("room").as_object();
        const int64_t id = room.at("id").as_int64();
        enter_room(socket, id);
        // The user's other tabs follow.
        nsp_.to(user_channel(uid)).sockets_join(room_channel(id));
        nsp_.to(user_channel(uid)).except(socket->id()).emit("room:added", Message{json::array{room}, {}});
        complete_join(socket, ack, std::move(result));
      });
}

void ChatService::complete_join(const SocketPtr& socket, const Ack& ack, json::object result) {
  // The history was read before the socket joined the room's channel: a message stored in
  // between would reach neither. Now that the socket receives live messages, read once more
  // after the newest one loaded; the client merges both by seq.
  const int64_t id = result.at("room").as_object().at("id").as_int64();
  const auto& loaded = result.at("messages").as_array();
  const int64_t after = loaded.empty() ? 0 : loaded.back().as_object().at("seq").as_int64();
  run<std::vector<store::Message>>(
      socket, [id, after](Store& s) { return s.messages_after(id, after, 500); },
      [this, ack, id, result = std::move(result)](StoreResult<std::vector<store::Message>>& r) mutable {
        if (r) {
          // Within the answer's budget: whatever does not fit, the client gets by `sync` (it
          // sees the seq jump when the next live message arrives, or asks on reconnect).
          bool truncated = false;
          auto& messages = result["messages"].as_array();
          for (auto& m : messages_json_within(*r.value, limits_.answer_budget / 2, truncated)) messages.push_back(std::move(m));
          if (truncated) result["more"] = true;
        }
        result["online"] = presence_.online(id);
        reply(ack, std::move(result));
      });
}

void ChatService::leave_room_event(const SocketPtr& socket, Message&& msg, Ack ack) {
  const auto room_id = int_field(args_object(msg), "roomId");
  if (!room_id) return reply(ack, error_json("bad_request", "roomId is required"));
  if (!admit(socket, ack)) return;
  const int64_t uid = user_id_of(*socket);
  run<json::object>(
      socket,
      [uid, room = *room_id](Store& s) {
        auto found = s.find_room(room);
        if (!found) return error_json("not_found", "no such room");
        // Leaving a direct conversation only hides it for now; membership stays.
        if (found->kind == store::RoomKind::public_room) s.remove_member(room, uid);
        return json::object{{"ok", true}};
      },
      [this, socket, ack, uid, room = *room_id](StoreResult<json::object>& r) {
        if (!r) return reply(ack, storage_error(r));
        if (r.value->at("ok").as_bool()) {
          leave_room(socket, room);
          nsp_.to(user_channel(uid)).sockets_leave(room_channel(room));
        }
        reply(ack, std::move(*r.value));
      });
}

void ChatService::open_direct(const SocketPtr& socket, Message&& msg, Ack ack) {
  const auto peer_name = string_field(args_object(msg), "userName");
  if (!peer_name) return reply(ack, error_json("bad_request", "userName is required"));
  if (!admit(socket, ack)) return;
  const int64_t uid = user_id_of(*socket);
  const int64_t now = now_ms();
  struct Opened {
    json::object ack;
    int64_t peer = 0;
    json::object room_for_peer;
  };
  run<Opened>(
      socket,
      // Looked up as names are stored (NFKC): "ＡＣＥ" finds ace.
      [uid, name = normalize_name(*peer_name).value_or(*peer_name), now, limits = limits_](Store& s) {
        Opened o;
        auto peer = s.find_user_by_name(name);
        if (!peer) {
          o.ack = error_json("not_found", "no user with that name");
          return o;
        }
        if (peer->id == uid) {
          o.ack = error_json("bad_request", "a conversation needs two people");
          return o;
        }
        const auto mine = s.rooms_of(uid);
        const bool exists = std::any_of(mine.begin(), mine.end(), [&](const store::Room& r) {
          return r.kind == store::RoomKind::direct &&
                 std::find(r.direct_members.begin(), r.direct_members.end(), peer->id) != r.direct_members.end();
        });
        if (!exists && mine.size() >= limits.max_rooms_per_user) {
          o.ack = error_json("too_many_rooms", "you are in too many rooms: leave one first");
          return o;
        }
        auto room = s.direct_room(uid, peer->id, now);
        auto me = s.find_user(uid);
        o.peer = peer->id;
        o.room_for_peer = room_json(room, true, me);
        bool truncated = false;
        json::array messages =
            newest_messages_json_within(s.messages_before(room.id, 0, kHistoryPage), limits.answer_budget / 2, truncated);
        o.ack = json::object{{"ok", true}, {"room", room_json(room, true, peer)}, {"messages", std::move(messages)}};
        return o;
      },
      [this, socket, ack, uid](StoreResult<Opened>& r) {
        if (!r) return reply(ack, storage_error(r));
        Opened& o = *r.value;
        if (!o.ack.at("ok").as_bool()) return reply(ack, std::move(o.ack));
        const int64_t id = o.ack.at("room").as_object().at("id").as_int64();
        enter_room(socket, id);
        nsp_.to(user_channel(uid)).to(user_channel(o.peer)).sockets_join(room_channel(id));
        nsp_.to(user_channel(o.peer)).emit("room:added", Message{json::array{o.room_for_peer}, {}});
        nsp_.to(user_channel(uid)).except(socket->id()).emit("room:added", Message{json::array{o.ack.at("room")}, {}});
        complete_join(socket, ack, std::move(o.ack));
      });
}

void ChatService::history(const SocketPtr& socket, Message&& msg, Ack ack) {
  const auto args = args_object(msg);
  const auto room_id = int_field(args, "roomId");
  if (!room_id) return reply(ack, error_json("bad_request", "roomId is required"));
  const int64_t before = int_field(args, "beforeSeq").value_or(0);
  const int limit = static_cast<int>(std::clamp<int64_t>(int_field(args, "limit").value_or(kHistoryPage), 1, 100));
  if (!admit(socket, ack)) return;
  const int64_t uid = user_id_of(*socket);
  run<json::object>(
      socket,
      [uid, room_id = *room_id, before, limit, budget = limits_.answer_budget](Store& s) {
        auto room = s.find_room(room_id);
        if (!room) return error_json("not_found", "no such room");
        if (!may_read(s, *room, uid)) return error_json("forbidden", "this conversation is private");
        // The newest `limit` before the seq, as many of them as fit the answer's budget; the
        // client pages on from the oldest one it got.
        bool truncated = false;
        json::array messages = newest_messages_json_within(s.messages_before(room_id, before, limit), budget, truncated);
        return json::object{{"ok", true}, {"messages", std::move(messages)}};
      },
      [ack](StoreResult<json::object>& r) { reply(ack, r ? std::move(*r.value) : storage_error(r)); });
}

void ChatService::sync(const SocketPtr& socket, Message&& msg, Ack ack) {
  const auto args = args_object(msg);
  const auto* rooms = args.if_contains("rooms");
  if (!rooms || !rooms->is_object()) return reply(ack, error_json("bad_request", "rooms is required"));
  std::vector<std::pair<int64_t, int64_t>> wanted;
  for (const auto& [key, value] : rooms->as_object()) {
    if (wanted.size() >= 100) break;  // bounds the work one request can cause
    int64_t id = 0;
    try {
      id = std::stoll(std::string(key));
    } catch (const std::exception&) {
      continue;
    }
    if (!value.is_int64()) continue;
    wanted.emplace_back(id, value.as_int64());
  }
  if (!admit(socket, ack)) return;
  const int64_t uid = user_id_of(*socket);
  run<json::object>(
      socket,
      [uid, wanted, budget = limits_.answer_budget](Store& s) {
        // Every room gets what fits of the answer's byte budget, in the order asked; a room cut
        // short (or not reached) is listed in `more`, and the client asks again from the newest
        // seq it got. So an answer is never too big to send, however much was missed.
        json::object missed;
        json::object more;
        size_t left = budget;
        for (const auto& [id, after] : wanted) {
          const std::string key = std::to_string(id);
          if (left == 0) {
            more[key] = true;
            continue;
          }
          auto room = s.find_room(id);
          if (!room || !s.is_member(id, uid)) continue;
          const auto messages = s.messages_after(id, after, 500);
          bool truncated = false;
          json::array fitted = messages_json_within(messages, left, truncated);
          size_t used = 0;
          for (size_t i = 0; i < fitted.size(); ++i) used += message_json_weight(messages[i]);
          left = used >= left ? 0 : left - used;
          if (truncated || messages.size() == 500) more[key] = true;
          missed[key] = std::move(fitted);
        }
        json::object answer{{"ok", true}, {"messages", std::move(missed)}};
        if (!more.empty()) answer["more"] = std::move(more);
        return answer;
      },
      [ack](StoreResult<json::object>& r) { reply(ack, r ? std::move(*r.value) : storage_error(r)); });
}

void ChatService::typing(const SocketPtr& socket, Message&& msg, Ack) {
  const auto args = args_object(msg);
  const auto room_id = int_field(args, "roomId");
  const auto* flag = args.if_contains("typing");
  if (!room_id || !flag || !flag->is_bool()) return;
  const std::string channel = room_channel(*room_id);
  if (!socket->in_room(channel)) return;
  auto& data = socket->data.as_object();
  const bool typing = flag->as_bool();
  if (typing) {
    // At most one "typing" per second per connection reaches the room.
    const int64_t now = now_ms();
    const auto* last = data.if_contains("typingAt");
    if (last && last->is_int64() && now - last->as_int64() < 1000) return;
    data["typingAt"] = now;
  } else {
    data.erase("typingAt");
  }
  json::object user{{"id", data.at("id")}, {"name", data.at("name")}};
  socket->to(channel).volatile_().emit(
      "typing", Message{json::array{json::object{{"roomId", *room_id}, {"user", user}, {"typing", typing}}}, {}});
}

}  // namespace dchat::chat
