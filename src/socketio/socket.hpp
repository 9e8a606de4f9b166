#pragma once
// One client's connection to one namespace. Lives on the shard of its Engine.IO session;
// every method must be called there.
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>

#include <map>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "engineio/session.hpp"
#include "socketio/broadcast.hpp"
#include "socketio/message.hpp"
#include "socketio/packet.hpp"

namespace dchat::socketio {

class Client;
class Namespace;

class Socket : public std::enable_shared_from_this<Socket> {
 public:
  Socket(Namespace& nsp, std::shared_ptr<Client> client, std::string id, boost::json::object auth);
  ~Socket();

  const std::string& id() const noexcept { return id_; }
  Namespace& nsp() noexcept { return nsp_; }
  const boost::json::object& auth() const noexcept { return auth_; }
  const engineio::HandshakeInfo& handshake() const;
  // The event loop of this socket's shard: completions for it must run there.
  boost::asio::io_context& context();
  bool connected() const noexcept { return connected_; }
  // Rooms joined explicitly (every socket is also addressable by its id). A set: a user in
  // hundreds of rooms reconnects without quadratic membership checks.
  const std::unordered_set<std::string>& rooms() const noexcept { return rooms_; }

  // Application data attached to the socket (e.g. the signed-in user); fetch_sockets shows it.
  boost::json::value data;
  // The application's own bookkeeping for this connection (never sent anywhere).
  std::shared_ptr<void> app_state;

  void emit(std::string_view event, const Message& message = {});
  void emit_with_ack(std::string_view event, const Message& message, std::chrono::milliseconds timeout,
                     AckCallback callback);
  void join(const std::string& room);
  void leave(const std::string& room);
  bool in_room(const std::string& room) const;
  // Everyone in `room` but this socket.
  BroadcastOperator to(std::string room);
  // Everyone in the namespace but this socket.
  BroadcastOperator broadcast();
  // Leaves the namespace (the client is told); `close_connection` also closes the transport.
  void disconnect(bool close_connection = false);
  // Closes the underlying connection without a Socket.IO disconnect: the client sees
  // "transport close" and reconnects.
  void close_transport();

  // ---- used by Client and the adapter ----
  void send_encoded(const std::vector<engineio::WirePacketPtr>& packets, bool is_volatile);
  void send_packet(const Packet& packet, std::vector<std::string> attachments = {});
  void mark_connected() noexcept { connected_ = true; }
  void on_event(Packet&& packet, std::vector<std::string>&& attachments);
  void on_ack(Packet&& packet, std::vector<std::string>&& attachments);
  void on_close(std::string_view reason);

 private:
  struct PendingAck {
    AckCallback callback;
    std::unique_ptr<boost::asio::steady_timer> timer;
  };

  Namespace& nsp_;
  std::shared_ptr<Client> client_;
  std::string id_;
  boost::json::object auth_;
  std::unordered_set<std::string> rooms_;
  std::map<uint64_t, PendingAck> acks_;
  uint64_t next_ack_id_ = 0;
  bool connected_ = false;
};

}  // namespace dchat::socketio
