#include <spdlog/spdlog.h>

#include "app/apps.hpp"
#include "socketio/socket.hpp"

namespace dchat::app {

namespace json = boost::json;
using socketio::Ack;
using socketio::Message;
using SocketPtr = std::shared_ptr<socketio::Socket>;

namespace {

// Takes the first argument as a room name; nullopt when it is not a string.
std::optional<std::string> take_room(Message& msg) {
  if (msg.args.empty() || !msg.args.front().is_string()) return std::nullopt;
  std::string room(msg.args.front().as_string());
  msg.args.erase(msg.args.begin());
  return room;
}

void install_namespace(socketio::Namespace& nsp) {
  nsp.on_connection([](const SocketPtr& socket) { socket->emit("auth", Message{json::array{socket->auth()}, {}}); });
  nsp.on("message", [](const SocketPtr& socket, Message&& msg, Ack) { socket->emit("message-back", msg); });
  nsp.on("message-with-ack", [](const SocketPtr&, Message&& msg, Ack ack) {
    if (ack) ack(std::move(msg));
  });
  nsp.on("join", [](const SocketPtr& socket, Message&& msg, Ack ack) {
    auto room = take_room(msg);
    if (room) socket->join(*room);
    if (ack) ack(Message{json::array{room ? json::value(*room) : json::value(nullptr)}, {}});
  });
  nsp.on("leave", [](const SocketPtr& socket, Message&& msg, Ack ack) {
    auto room = take_room(msg);
    if (room) socket->leave(*room);
    if (ack) ack(Message{json::array{room ? json::value(*room) : json::value(nullptr)}, {}});
  });
  nsp.on("to-room", [](const SocketPtr& socket, Message&& msg, Ack) {
    if (auto room = take_room(msg)) socket->nsp().to(*room).emit("room-message", msg);
  });
  // socket.broadcast.emit: everyone in the namespace but the sender.
  nsp.on("broadcast", [](const SocketPtr& socket, Message&& msg, Ack) { socket->broadcast().emit("all-message", msg); });
  nsp.on("to-room-except-me", [](const SocketPtr& socket, Message&& msg, Ack) {
    if (auto room = take_room(msg)) socket->to(*room).emit("room-message", msg);
  });
  nsp.on("request-ack", [](const SocketPtr& socket, Message&& msg, Ack ack) {
    socket->emit_with_ack("server-ack-request", msg, std::chrono::milliseconds(2000),
                          [ack](std::optional<std::string> error, Message reply) {
                            if (!ack) return;
                            json::object result;
                            result["ok"] = !error;
                            if (error) {
                              result["error"] = *error;
                            } else {
                              result["reply"] = std::move(reply.args);
                            }
                            ack(Message{json::array{std::move(result)}, std::move(reply.attachments)});
                          });
  });
  nsp.on("server-disconnect", [](const SocketPtr& socket, Message&&, Ack) { socket->disconnect(); });
  nsp.on("close-transport", [](const SocketPtr& socket, Message&&, Ack) { socket->close_transport(); });
}

class EchoHandler : public engineio::Handler {
 public:
  explicit EchoHandler(engineio::Session& session) : session_(session) {}
  void on_message(std::string_view data, bool binary) override {
    session_.send(binary ? engineio::WirePacket::make_binary(std::string(data))
                         : engineio::WirePacket::make(engineio::PacketType::message, data));
  }
  void on_close(engineio::CloseReason) override {}

 private:
  engineio::Session& session_;  // the session owns this handler
};

}  // namespace

void install_conformance(socketio::Server& io) {
  install_namespace(io.of("/"));
  install_namespace(io.of("/custom"));

  // A namespace behind a connect middleware: refused without auth {"token":"secret"}.
  auto& guarded = io.of("/private");
  guarded.use([](const SocketPtr& socket, std::function<void(std::optional<socketio::ConnectError>)> next) {
    const auto* token = socket->auth().if_contains("token");
    if (token && token->is_string() && token->as_string() == "secret") {
      next(std::nullopt);
    } else {
      next(socketio::ConnectError{"unauthorized", json::object{{"reason", "token required"}}});
    }
  });
  install_namespace(guarded);

  // Dynamic namespaces: any name starting with /dyn- is created on first connect.
  io.allow_dynamic_namespaces([](std::string_view name, const json::object&) { return name.starts_with("/dyn-"); },
                              [](socketio::Namespace& nsp) { install_namespace(nsp); });
}

std::unique_ptr<engineio::Server> make_echo_engine(core::ShardPool& pool, const engineio::Options& options) {
  return std::make_unique<engineio::Server>(pool, options, [](const std::shared_ptr<engineio::Session>& session) {
    session->set_handler(std::make_shared<EchoHandler>(*session));
  });
}

}  // namespace dchat::app
