#include "chat/chat_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "chat/chat_service_detail.hpp"
#include "chat/views.hpp"
#include "core/log_throttle.hpp"
#include "core/metrics.hpp"

namespace dchat::chat {

Refusal detail::storage_refusal(store::StoreError::Kind kind, const std::string& what) {
  if (kind == store::StoreError::Kind::overloaded) {
    core::metrics().overloaded.inc();
    return Refusal{ErrorCode::overloaded, "the server is busy, try again in a moment", std::chrono::milliseconds(1000)};
  }
  CHAT_LOG_THROTTLED(spdlog::level::warn, "chat: storage failed: {}", what);
  return Refusal{ErrorCode::storage_unavailable, "the message store is unavailable, try again", std::nullopt};
}

ChatService::ChatService(socketio::Namespace& nsp, store::StoreExecutor& store, Presence& presence, ChatLimits limits,
                         const core::LoopLag* lag)
    : nsp_(nsp),
      store_(store),
      presence_(presence),
      limits_(limits),
      lag_(lag),
      sends_(limits.message_rate, limits.message_burst),
      changes_(limits.change_rate, limits.change_burst),
      reads_(limits.change_rate, limits.change_burst),
      searches_(limits.search_rate, limits.search_burst),
      lookups_(limits.change_rate, limits.change_burst) {}

void ChatService::install() {
  nsp_.use([this](const SocketPtr& socket, std::function<void(std::optional<socketio::ConnectError>)> next) {
    authenticate(socket, std::move(next));
  });
  nsp_.on_connection([this](const SocketPtr& socket) { on_connect(socket); });
  nsp_.on_disconnect([this](const SocketPtr& socket, std::string_view) { on_disconnect(socket); });
  nsp_.on_room_change([this](const SocketPtr& socket, const std::string& room, bool joined) {
    on_room_change(socket, room, joined);
  });
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
  nsp_.on("message:edit", bind(&ChatService::edit_message));
  nsp_.on("message:delete", bind(&ChatService::delete_message));
  nsp_.on("reaction:set", bind(&ChatService::set_reaction));
  nsp_.on("room:read", bind(&ChatService::mark_read));
  nsp_.on("search", bind(&ChatService::search));
  nsp_.on("room:members", bind(&ChatService::members));
}

std::optional<ChatService::Lookup> ChatService::admit_lookup(const SocketPtr& socket, const boost::json::object& args,
                                                              LookupPage page, core::TokenBuckets& bucket,
                                                              const Ack& ack, std::string_view doing) {
  const int limit =
      static_cast<int>(std::clamp<int64_t>(int_field(args, "limit").value_or(page.fallback), 1, page.max));
  const int64_t uid = user_id_of(*socket);
  if (!within_rate(bucket, uid, ack, doing)) return std::nullopt;
  if (!admit(socket, ack)) return std::nullopt;
  return Lookup{uid, limit};
}

bool ChatService::admit(const SocketPtr& socket, const Ack& ack) {
  if (lag_ && limits_.overload_lag.count() > 0) {
    // Refusing costs almost nothing; accepting more than the loop can do only makes every
    // answer later. Clients retry after the hint (the web UI resends with the same clientId).
    if (const auto lag = lag_->current(); lag > limits_.overload_lag) {
      core::metrics().overloaded.inc();
      CHAT_LOG_THROTTLED(spdlog::level::warn, "chat: event loop {} ms behind, refusing requests", lag.count());
      refuse(ack, Refusal{ErrorCode::overloaded, "the server is busy, try again in a moment",
                          std::max(std::chrono::milliseconds(500), 2 * lag)});
      return false;
    }
  }
  if (connection_of(*socket).pending < limits_.max_pending_per_connection) return true;
  core::metrics().overloaded.inc();
  CHAT_LOG_THROTTLED(spdlog::level::info, "chat: user {} has {} requests waiting on one connection, refusing more",
                     user_id_of(*socket), connection_of(*socket).pending);
  refuse(ack, Refusal{ErrorCode::overloaded, "too many requests waiting for an answer: wait for them first",
                      std::chrono::milliseconds(500)});
  return false;
}

bool ChatService::within_rate(core::TokenBuckets& bucket, int64_t user, const Ack& ack, std::string_view doing) {
  const auto wait = bucket.take(user);
  if (wait.count() <= 0) return true;
  core::metrics().rate_limited.inc();
  // Per user, whatever the number of connections: a client resending by clientId after a
  // refusal stores its message once.
  CHAT_LOG_THROTTLED(spdlog::level::info, "chat: user {} is {} too fast, refusing", user, doing);
  refuse(ack, Refusal{ErrorCode::rate_limited, fmt::format("you are {} too fast, slow down", doing), wait});
  return false;
}

// A namespace disconnect ("io server disconnect": socket.io clients do not reconnect by
// themselves and close their transport); a client that keeps its transport open anyway is closed
// after the connect timeout (socketio::Client).
void ChatService::end_session(const std::string& token_hash) {
  nsp_.to(session_channel(token_hash)).disconnect_sockets(false);
}

void ChatService::end_user_sessions(int64_t user_id) { nsp_.to(user_channel(user_id)).disconnect_sockets(false); }

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

}  // namespace dchat::chat
