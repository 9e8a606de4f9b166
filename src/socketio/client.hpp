#pragma once
// The Socket.IO side of one Engine.IO session: decodes packets (reassembling binary ones),
// routes them to the socket of their namespace, and handles namespace connects.
#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engineio/handler.hpp"
#include "engineio/session.hpp"
#include "socketio/packet.hpp"

namespace dchat::socketio {

class Server;
class Socket;

class Client : public engineio::Handler, public std::enable_shared_from_this<Client> {
 public:
  Client(Server& server, std::shared_ptr<engineio::Session> session);

  void start();  // arms the connect timeout
  engineio::Session* session() noexcept { return session_.get(); }
  const engineio::HandshakeInfo& handshake() const noexcept { return session_->handshake(); }

  void on_message(std::string_view data, bool binary) override;
  void on_close(engineio::CloseReason reason) override;

  void send(const std::vector<engineio::WirePacketPtr>& packets, bool is_volatile);
  void send_packet(const Packet& packet, const std::vector<std::string>& attachments = {});
  void remove_socket(const std::string& nsp);
  void close();  // closes the Engine.IO session

 private:
  void arm_connect_timer();
  void dispatch(Packet&& packet, std::vector<std::string>&& attachments);
  void connect(Packet&& packet);
  void protocol_error(const char* what);
  std::shared_ptr<Socket> socket_for(const std::string& nsp) const;

  Server& server_;
  std::shared_ptr<engineio::Session> session_;
  // Usually one or two namespaces per client: a vector beats a map here.
  std::vector<std::shared_ptr<Socket>> sockets_;
  std::vector<std::string> connecting_;  // namespaces whose middlewares are still running
  std::unique_ptr<Packet> binary_packet_;  // waiting for its attachments (rare: kept off the object)
  std::vector<std::string> attachments_;
  uint64_t pending_bytes_ = 0;  // the binary packet waiting for attachments, and those received
  std::unique_ptr<boost::asio::steady_timer> connect_timer_;
};

}  // namespace dchat::socketio
