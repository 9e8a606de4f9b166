#pragma once
// Private to the ChatService's files (chat_service.cpp, chat_connections.cpp, chat_rooms.cpp,
// chat_messages.cpp): the short names they use, a connection's bookkeeping, reading event
// arguments, answering acks, and ChatService::run, the one way a handler reaches the store.
// Include it from those .cpp files only: it puts the short names into dchat::chat.
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "chat/chat_results.hpp"
#include "chat/chat_service.hpp"
#include "chat/views.hpp"
#include "socketio/socket.hpp"

namespace dchat::chat::detail {

// The chat's own bookkeeping for one connection (socketio::Socket::app_state).
struct Connection {
  std::string token_hash;           // the sign-in session it authenticated with
  int64_t session_expires_at = 0;   // ms since the epoch
  size_t pending = 0;               // requests waiting for the store
  std::unique_ptr<boost::asio::steady_timer> expiry;
};

inline Connection& connection_of(const socketio::Socket& socket) {
  return *static_cast<Connection*>(socket.app_state.get());
}

inline int64_t user_id_of(const socketio::Socket& socket) { return socket.data.as_object().at("id").as_int64(); }

// The User object of the socket's user, without the connection's own bookkeeping fields.
inline boost::json::object public_user(const socketio::Socket& socket) {
  boost::json::object user = socket.data.as_object();
  user.erase("typingAt");
  return user;
}

// The first argument as an object ({} when absent or not an object).
inline boost::json::object args_object(const socketio::Message& msg) {
  if (!msg.args.empty() && msg.args.front().is_object()) return msg.args.front().as_object();
  return {};
}

inline std::optional<int64_t> int_field(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64() && v->as_uint64() <= INT64_MAX) return static_cast<int64_t>(v->as_uint64());
  return std::nullopt;
}

inline std::optional<std::string> string_field(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v || !v->is_string()) return std::nullopt;
  return std::string(v->as_string());
}

inline void reply(const socketio::Ack& ack, boost::json::object body) {
  if (ack) ack(socketio::Message{boost::json::array{std::move(body)}, {}});
}

inline void refuse(const socketio::Ack& ack, const Refusal& refusal) { reply(ack, refusal_json(refusal)); }

inline void refuse(const socketio::Ack& ack, ErrorCode code, std::string message) {
  refuse(ack, Refusal{code, std::move(message), std::nullopt});
}

// The answer to a request the store did not carry out (the storage_unavailable failures are
// logged, throttled).
Refusal storage_refusal(store::StoreError::Kind kind, const std::string& detail);

template <typename T>
Refusal storage_refusal(const store::StoreResult<T>& r) {
  return storage_refusal(r.error, r.message);
}

}  // namespace dchat::chat::detail

namespace dchat::chat {

template <typename T>
auto ChatService::on_shard(const SocketPtr& socket, std::function<void(store::StoreResult<T>&)> done) {
  // The socket is held until the result arrives: what a job stored must still be broadcast
  // even if its sender disconnected meanwhile.
  if (socket->app_state) ++detail::connection_of(*socket).pending;
  return boost::asio::bind_executor(socket->context(), [socket, done = std::move(done)](store::StoreResult<T> r) {
    if (socket->app_state) --detail::connection_of(*socket).pending;
    done(r);
  });
}

template <typename T>
void ChatService::run(const SocketPtr& socket, std::function<T(store::Store&)> job,
                      std::function<void(store::StoreResult<T>&)> done) {
  store_.async_run<T>(std::move(job), on_shard<T>(socket, std::move(done)));
}

namespace json = boost::json;
using socketio::Ack;
using socketio::Message;
using store::Store;
using store::StoreResult;
using namespace detail;

}  // namespace dchat::chat
