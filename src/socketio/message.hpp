#pragma once
// Event arguments as the application sees them, and the types its handlers use.
#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engineio/packet.hpp"

namespace dchat::socketio {

class Socket;

// Arguments of an event or an ack. Binary arguments are kept apart: `args` holds
// {"_placeholder":true,"num":i} where attachments[i] belongs, exactly as on the wire.
struct Message {
  boost::json::array args;
  std::vector<std::string> attachments;
};

// Adds `bytes` as an attachment and returns the placeholder to put into args.
boost::json::value attach(Message& message, std::string bytes);

// Answers a client's ack request; empty when the client asked for none.
class Ack {
 public:
  Ack() = default;
  Ack(std::weak_ptr<Socket> socket, uint64_t id) : socket_(std::move(socket)), id_(id) {}
  explicit operator bool() const noexcept { return id_.has_value(); }
  void operator()(Message reply) const;

 private:
  std::weak_ptr<Socket> socket_;
  std::optional<uint64_t> id_;
};

struct ConnectError {
  std::string message;
  boost::json::value data;  // null: no "data" field
};

using EventHandler = std::function<void(const std::shared_ptr<Socket>&, Message&&, Ack)>;
using ConnectionHandler = std::function<void(const std::shared_ptr<Socket>&)>;
using DisconnectHandler = std::function<void(const std::shared_ptr<Socket>&, std::string_view reason)>;
// A connected socket joined (true) or left (false) a room, by its own join()/leave() or an
// adapter's sockets_join/sockets_leave from any replica (socket.io's "join-room"/"leave-room").
// Not called for the rooms a disconnecting socket drops all at once.
using RoomChangeHandler = std::function<void(const std::shared_ptr<Socket>&, const std::string& room, bool joined)>;
// Runs before a socket joins its namespace; calls `next` once, with an error to refuse.
using Middleware =
    std::function<void(const std::shared_ptr<Socket>&, std::function<void(std::optional<ConnectError>)> next)>;
// The result of emit_with_ack: an error ("operation has timed out", "socket disconnected") or the reply.
using AckCallback = std::function<void(std::optional<std::string> error, Message reply)>;

// An event encoded once: the text packet and its binary attachments, shared by all recipients.
using EncodedPacket = std::shared_ptr<const std::vector<engineio::WirePacketPtr>>;

EncodedPacket encode_event_packet(std::string_view nsp, std::string_view event, const Message& message,
                                  std::optional<uint64_t> ack_id = std::nullopt);

}  // namespace dchat::socketio
