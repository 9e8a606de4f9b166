#include "socketio/socket.hpp"

#include <boost/json/serialize.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "socketio/client.hpp"
#include "socketio/namespace.hpp"

namespace dchat::socketio {

namespace json = boost::json;

json::value attach(Message& message, std::string bytes) {
  message.attachments.push_back(std::move(bytes));
  return json::object{{"_placeholder", true}, {"num", message.attachments.size() - 1}};
}

EncodedPacket encode_event_packet(std::string_view nsp, std::string_view event, const Message& message,
                                  std::optional<uint64_t> ack_id) {
  auto frames = std::make_shared<std::vector<engineio::WirePacketPtr>>();
  frames->reserve(1 + message.attachments.size());
  frames->push_back(engineio::WirePacket::make(
      engineio::PacketType::message, encode_event(nsp, event, message.args, message.attachments.size(), ack_id)));
  for (const auto& a : message.attachments) frames->push_back(engineio::WirePacket::make_binary(a));
  return frames;
}

void Ack::operator()(Message reply) const {
  auto socket = socket_.lock();
  if (!socket || !id_ || !socket->connected()) return;
  Packet packet{reply.attachments.empty() ? PacketType::ack : PacketType::binary_ack, socket->nsp().name(), id_,
                std::move(reply.args), reply.attachments.size()};
  socket->send_packet(packet, std::move(reply.attachments));
}

Socket::Socket(Namespace& nsp, std::shared_ptr<Client> client, std::string id, json::object auth)
    : nsp_(nsp), client_(std::move(client)), id_(std::move(id)), auth_(std::move(auth)) {}

Socket::~Socket() = default;

const engineio::HandshakeInfo& Socket::handshake() const { return client_->handshake(); }

boost::asio::io_context& Socket::context() { return client_->session()->context(); }

void Socket::send_encoded(const std::vector<engineio::WirePacketPtr>& packets, bool is_volatile) {
  if (connected_) client_->send(packets, is_volatile);
}

void Socket::send_packet(const Packet& packet, std::vector<std::string> attachments) {
  client_->send_packet(packet, attachments);
}

void Socket::emit(std::string_view event, const Message& message) {
  if (!connected_) return;
  client_->send(*encode_event_packet(nsp_.name(), event, message), false);
}

void Socket::emit_with_ack(std::string_view event, const Message& message, std::chrono::milliseconds timeout,
                           AckCallback callback) {
  if (!connected_) {
    callback("socket disconnected", {});
    return;
  }
  const uint64_t id = next_ack_id_++;
  auto timer = std::make_unique<boost::asio::steady_timer>(client_->session()->context(), timeout);
  timer->async_wait([weak = weak_from_this(), id](boost::system::error_code ec) {
    if (ec) return;
    auto self = weak.lock();
    if (!self) return;
    auto it = self->acks_.find(id);
    if (it == self->acks_.end()) return;
    auto cb = std::move(it->second.callback);
    self->acks_.erase(it);
    cb("operation has timed out", {});
  });
  acks_.emplace(id, PendingAck{std::move(callback), std::move(timer)});
  client_->send(*encode_event_packet(nsp_.name(), event, message, id), false);
}

void Socket::join(const std::string& room) {
  if (room == id_ || !rooms_.insert(room).second) return;
  if (!connected_) return;
  nsp_.adapter().add(*this, room);
  nsp_.room_changed(shared_from_this(), room, true);
}

void Socket::leave(const std::string& room) {
  if (rooms_.erase(room) == 0) return;
  nsp_.adapter().remove(*this, room);
  if (connected_) nsp_.room_changed(shared_from_this(), room, false);
}

bool Socket::in_room(const std::string& room) const { return room == id_ || rooms_.count(room) > 0; }

BroadcastOperator Socket::to(std::string room) { return BroadcastOperator(nsp_).to(std::move(room)).except(id_); }

BroadcastOperator Socket::broadcast() { return BroadcastOperator(nsp_).except(id_); }

void Socket::disconnect(bool close_connection) {
  if (!connected_) return;
  send_packet(Packet{PacketType::disconnect, nsp_.name(), std::nullopt, nullptr});
  auto self = shared_from_this();
  client_->remove_socket(nsp_.name());
  on_close("server namespace disconnect");
  if (close_connection) client_->close();
}

void Socket::close_transport() { client_->close(); }

void Socket::on_event(Packet&& packet, std::vector<std::string>&& attachments) {
  if (!connected_) return;
  auto& args = packet.data.as_array();  // validated by the decoder: a non-empty array
  const auto& name = args.front();
  const std::string event = name.is_string() ? std::string(name.as_string()) : json::serialize(name);
  const EventHandler* handler = nsp_.handler(event);
  if (!handler) {
    spdlog::debug("socket.io: no handler for event \"{}\" on {}", event, nsp_.name());
    return;
  }
  args.erase(args.begin());
  Message message{std::move(args), std::move(attachments)};
  Ack ack = packet.id ? Ack(weak_from_this(), *packet.id) : Ack();
  (*handler)(shared_from_this(), std::move(message), std::move(ack));
}

void Socket::on_ack(Packet&& packet, std::vector<std::string>&& attachments) {
  auto it = acks_.find(*packet.id);
  if (it == acks_.end()) return;  // late (timed out) or unknown: ignored, as the reference does
  auto pending = std::move(it->second);
  acks_.erase(it);
  pending.timer->cancel();
  pending.callback(std::nullopt, Message{std::move(packet.data.as_array()), std::move(attachments)});
}

void Socket::on_close(std::string_view reason) {
  if (!connected_) return;
  connected_ = false;
  auto self = shared_from_this();
  nsp_.disconnected(self, reason);
  rooms_.clear();
  auto acks = std::move(acks_);
  acks_.clear();
  for (auto& [id, pending] : acks) {
    pending.timer->cancel();
    pending.callback("socket disconnected", {});
  }
}

}  // namespace dchat::socketio
