#include "socketio/client.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/random_id.hpp"
#include "core/metrics.hpp"
#include "socketio/namespace.hpp"
#include "socketio/server.hpp"
#include "socketio/socket.hpp"

namespace dchat::socketio {

namespace json = boost::json;

Client::Client(Server& server, std::shared_ptr<engineio::Session> session)
    : server_(server), session_(std::move(session)) {}

void Client::start() { arm_connect_timer(); }

// A session must be in a namespace within the connect timeout: at the start, and again when it
// has left its last one (a client told to disconnect that keeps its transport open would
// otherwise hold it for as long as it answers pings).
void Client::arm_connect_timer() {
  connect_timer_ = std::make_unique<boost::asio::steady_timer>(session_->context(), server_.connect_timeout());
  connect_timer_->async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    if (ec) return;
    auto self = weak.lock();
    if (!self || !self->sockets_.empty()) return;
    spdlog::debug("socket.io: session {} joined no namespace in time, closing", self->session_->sid());
    self->close();
  });
}

std::shared_ptr<Socket> Client::socket_for(const std::string& nsp) const {
  for (const auto& s : sockets_)
    if (s->nsp().name() == nsp) return s;
  return nullptr;
}

void Client::protocol_error(const char* what) {
  spdlog::info("socket.io: session {}: {}, closing", session_->sid(), what);
  session_->on_transport_error(engineio::CloseReason::parse_error);
}

void Client::on_message(std::string_view data, bool binary) {
  if (binary) {
    if (!binary_packet_) return protocol_error("unexpected binary attachment");
    // One packet with all its attachments is bounded by maxPayload, like any single message:
    // otherwise 64 attachments of maxPayload each could be buffered for one event.
    pending_bytes_ += data.size();
    if (pending_bytes_ > session_->options().max_payload)
      return protocol_error("binary packet with its attachments larger than maxPayload");
    attachments_.emplace_back(data);
    if (attachments_.size() == binary_packet_->attachments) {
      if (!placeholders_valid(binary_packet_->data, binary_packet_->attachments))
        return protocol_error("binary packet with an invalid attachment placeholder");
      Packet packet = std::move(*binary_packet_);
      binary_packet_.reset();
      dispatch(std::move(packet), std::exchange(attachments_, {}));
    }
    return;
  }
  if (binary_packet_) return protocol_error("text packet while waiting for attachments");
  core::metrics().packets_in.inc();
  auto decoded = decode(data);
  if (!decoded.packet) return protocol_error(decoded.error);
  if (decoded.packet->attachments > 0) {
    // Attachments are only buffered for a namespace the client has joined: before that (or for
    // a namespace it is not in) nobody would receive them.
    if (!socket_for(decoded.packet->nsp)) return protocol_error("binary packet for a namespace not joined");
    pending_bytes_ = data.size();
    binary_packet_ = std::make_unique<Packet>(std::move(*decoded.packet));
    return;
  }
  dispatch(std::move(*decoded.packet), {});
}

void Client::dispatch(Packet&& packet, std::vector<std::string>&& attachments) {
  switch (packet.type) {
    case PacketType::connect:
      connect(std::move(packet));
      return;
    case PacketType::disconnect:
      if (auto socket = socket_for(packet.nsp)) {
        remove_socket(packet.nsp);
        socket->on_close("client namespace disconnect");
      }
      return;
    case PacketType::event:
    case PacketType::binary_event:
      if (auto socket = socket_for(packet.nsp)) socket->on_event(std::move(packet), std::move(attachments));
      return;
    case PacketType::ack:
    case PacketType::binary_ack:
      if (auto socket = socket_for(packet.nsp)) socket->on_ack(std::move(packet), std::move(attachments));
      return;
    case PacketType::connect_error:
      return protocol_error("CONNECT_ERROR sent by a client");
  }
}

void Client::connect(Packet&& packet) {
  const std::string name = packet.nsp;
  if (socket_for(name) || std::find(connecting_.begin(), connecting_.end(), name) != connecting_.end()) return;
  json::object auth = packet.data.is_object() ? std::move(packet.data.as_object()) : json::object{};
  Namespace* nsp = server_.find_or_create_namespace(name, auth);
  if (!nsp) {
    Packet error{PacketType::connect_error, name, std::nullopt, json::object{{"message", "Invalid namespace"}}};
    send_packet(error);
    return;
  }
  auto socket = std::make_shared<Socket>(*nsp, shared_from_this(), core::random_id(15), std::move(auth));
  connecting_.push_back(name);
  nsp->run_middlewares(socket, [self = shared_from_this(), socket, name](std::optional<ConnectError> error) {
    auto& pending = self->connecting_;
    pending.erase(std::remove(pending.begin(), pending.end(), name), pending.end());
    if (self->session_->closed()) return;
    if (error) {
      json::object body{{"message", error->message}};
      if (!error->data.is_null()) body["data"] = error->data;
      self->send_packet(Packet{PacketType::connect_error, name, std::nullopt, std::move(body)});
      return;
    }
    self->sockets_.push_back(socket);
    if (self->connect_timer_) {
      self->connect_timer_->cancel();
      self->connect_timer_.reset();
    }
    socket->mark_connected();
    self->send_packet(Packet{PacketType::connect, name, std::nullopt, json::object{{"sid", socket->id()}}});
    socket->nsp().connected(socket);
  });
}

void Client::send(const std::vector<engineio::WirePacketPtr>& packets, bool is_volatile) {
  session_->send(packets, is_volatile);
}

void Client::send_packet(const Packet& packet, const std::vector<std::string>& attachments) {
  std::vector<engineio::WirePacketPtr> frames;
  frames.reserve(1 + attachments.size());
  frames.push_back(engineio::WirePacket::make(engineio::PacketType::message, encode(packet)));
  for (const auto& a : attachments) frames.push_back(engineio::WirePacket::make_binary(a));
  session_->send(frames);
}

void Client::remove_socket(const std::string& nsp) {
  sockets_.erase(std::remove_if(sockets_.begin(), sockets_.end(),
                                [&](const std::shared_ptr<Socket>& s) { return s->nsp().name() == nsp; }),
                 sockets_.end());
  if (sockets_.empty() && connecting_.empty() && !session_->closed()) arm_connect_timer();
}

void Client::close() { session_->close(engineio::CloseReason::server_close); }

void Client::on_close(engineio::CloseReason reason) {
  if (connect_timer_) connect_timer_->cancel();
  auto sockets = std::move(sockets_);
  sockets_.clear();
  // A client's Engine.IO close packet ends its transport: reported as "transport close", as
  // the reference server does.
  const std::string_view why = reason == engineio::CloseReason::forced_close ? "transport close" : engineio::to_string(reason);
  for (auto& socket : sockets) socket->on_close(why);
}

}  // namespace dchat::socketio
