#pragma once
// A Socket.IO namespace: its connect middlewares, event handlers and adapter. Handlers are
// registered at start-up, before any client connects, and only read afterwards (from every
// shard), so they need no lock.
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "socketio/adapter.hpp"
#include "socketio/broadcast.hpp"
#include "socketio/message.hpp"

namespace dchat::socketio {

class Namespace {
 public:
  Namespace(std::string name, std::unique_ptr<Adapter> adapter);

  const std::string& name() const noexcept { return name_; }
  Adapter& adapter() noexcept { return *adapter_; }

  void use(Middleware middleware) { middlewares_.push_back(std::move(middleware)); }
  void on_connection(ConnectionHandler handler) { on_connection_ = std::move(handler); }
  void on(std::string event, EventHandler handler) { handlers_[std::move(event)] = std::move(handler); }
  void on_disconnect(DisconnectHandler handler) { on_disconnect_.push_back(std::move(handler)); }
  void on_room_change(RoomChangeHandler handler) { on_room_change_ = std::move(handler); }

  BroadcastOperator to(std::string room) { return BroadcastOperator(*this).to(std::move(room)); }
  BroadcastOperator except(std::string room) { return BroadcastOperator(*this).except(std::move(room)); }
  void emit(std::string_view event, const Message& message = {}) { BroadcastOperator(*this).emit(event, message); }

  // ---- used by Client and Socket ----
  void run_middlewares(const std::shared_ptr<Socket>& socket, std::function<void(std::optional<ConnectError>)> done,
                       size_t index = 0);
  const EventHandler* handler(std::string_view event) const;
  void connected(const std::shared_ptr<Socket>& socket);
  void disconnected(const std::shared_ptr<Socket>& socket, std::string_view reason);
  void room_changed(const std::shared_ptr<Socket>& socket, const std::string& room, bool joined) const {
    if (on_room_change_) on_room_change_(socket, room, joined);
  }

 private:
  std::string name_;
  std::unique_ptr<Adapter> adapter_;
  std::vector<Middleware> middlewares_;
  ConnectionHandler on_connection_;
  std::unordered_map<std::string, EventHandler> handlers_;
  std::vector<DisconnectHandler> on_disconnect_;
  RoomChangeHandler on_room_change_;
};

}  // namespace dchat::socketio
