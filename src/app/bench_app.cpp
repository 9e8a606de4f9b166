#include "app/apps.hpp"
#include "socketio/socket.hpp"

namespace dchat::app {

void install_bench(socketio::Server& io) {
  auto& nsp = io.of("/");
  nsp.on_connection([](const std::shared_ptr<socketio::Socket>& socket) { socket->join("general"); });
  nsp.on("chat message", [](const std::shared_ptr<socketio::Socket>& socket, socketio::Message&& msg, socketio::Ack) {
    // Broadcast to the room named in the payload, if the sender is in it.
    std::string room = "general";
    if (!msg.args.empty() && msg.args.front().is_object()) {
      if (auto* r = msg.args.front().as_object().if_contains("room"); r && r->is_string()) room = r->as_string();
    }
    if (!socket->in_room(room)) return;
    socket->nsp().to(room).emit("chat message", msg);
  });
}

}  // namespace dchat::app
