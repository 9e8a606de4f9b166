#include "engineio/session.hpp"

#include <algorithm>

#include "core/log_throttle.hpp"
#include "core/metrics.hpp"

#include <boost/asio/post.hpp>

#include <spdlog/spdlog.h>

#include "engineio/session_registry.hpp"
#include "engineio/websocket_transport.hpp"

namespace dchat::engineio {

std::string_view to_string(CloseReason reason) {
  switch (reason) {
    case CloseReason::transport_close: return "transport close";
    case CloseReason::transport_error: return "transport error";
    case CloseReason::ping_timeout: return "ping timeout";
    case CloseReason::parse_error: return "parse error";
    case CloseReason::forced_close: return "forced close";
    case CloseReason::server_close: return "forced server close";
    case CloseReason::slow_client: return "slow client";
    case CloseReason::server_shutdown: return "server shutting down";
  }
  return "unknown";
}

Session::Session(boost::asio::io_context& ctx, size_t shard, std::string sid, const Options& options,
                 SessionRegistry& registry, HandshakeInfo handshake)
    : ctx_(ctx),
      shard_(shard),
      sid_(std::move(sid)),
      options_(options),
      registry_(registry),
      handshake_(std::move(handshake)),
      outbox_(options.max_outbox_packets, options.max_outbox_bytes),
      heartbeat_(ctx) {}

Session::~Session() = default;

bool Session::send(std::span<const WirePacketPtr> packets, bool is_volatile) {
  if (state_ != State::open || overflowed_) return false;
  // An event that could never fit the outbox, even empty, is skipped whole (it is not the
  // client's fault, and disconnecting it would only repeat after it reconnects).
  for (const auto& packet : packets) {
    if (outbox_.fits_at_all(*packet)) continue;
    CHAT_LOG_THROTTLED(spdlog::level::warn, "engine.io: session {}: a {} byte packet exceeds CHAT_MAX_OUTBOX_BYTES, not sent",
                       sid_, packet->wire_size());
    return false;
  }
  for (size_t i = 0; i < packets.size(); ++i) {
    switch (outbox_.push(packets[i], is_volatile)) {
      case Outbox::Push::ok:
        core::metrics().packets_out.inc();
        break;
      case Outbox::Push::dropped:
        // Attachments of a dropped volatile event would be meaningless alone.
        return false;
      case Outbox::Push::full:
        overflow();
        return false;
      case Outbox::Push::too_large:  // checked above for every packet of the event
        return false;
    }
  }
  if (ws_) {
    ws_->notify_outbox();
  } else {
    wake_poll();
  }
  return true;
}

// The outbox is full in the middle of a send, which usually means in the middle of a broadcast
// walking a room table this session's sockets belong to. Closing here would run the disconnect
// handlers, which leave rooms (erasing from that very table) and start broadcasts of their own.
// So the session only stops accepting packets now, and closes from the event loop, after the
// current handler (and the broadcast in it) has returned.
void Session::overflow() {
  CHAT_LOG_THROTTLED(spdlog::level::warn, "engine.io: session {} cannot keep up ({} packets, {} bytes queued), disconnecting",
                     sid_, outbox_.size(), outbox_.bytes());
  overflowed_ = true;
  outbox_.clear();
  core::metrics().slow_clients_dropped.inc();
  boost::asio::post(ctx_, [self = shared_from_this()] { self->close(CloseReason::slow_client); });
}

void Session::start_heartbeat() {
  heartbeat_.expires_after(options_.ping_interval);
  heartbeat_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->on_heartbeat_timer();
  });
}

void Session::on_heartbeat_timer() {
  if (state_ == State::closing) {
    // A polling client never came back for its last packets.
    finalize();
    return;
  }
  if (state_ != State::open) return;
  if (awaiting_pong_) {
    close(CloseReason::ping_timeout);
    return;
  }
  static const WirePacketPtr ping = WirePacket::make(PacketType::ping);
  awaiting_pong_ = true;
  send(ping);
  heartbeat_.expires_after(options_.ping_timeout);
  heartbeat_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->on_heartbeat_timer();
  });
}

void Session::on_packet(const Packet& packet) {
  if (state_ != State::open || overflowed_) return;
  switch (packet.type) {
    case PacketType::pong:
      if (awaiting_pong_) {
        awaiting_pong_ = false;
        start_heartbeat();
      }
      break;
    case PacketType::ping:
      // v4 clients do not ping, but answering is harmless and helps debugging tools.
      send(WirePacket::make(PacketType::pong, packet.data));
      break;
    case PacketType::message:
      if (handler_) handler_->on_message(packet.data, packet.binary);
      break;
    case PacketType::close:
      close(CloseReason::forced_close);
      break;
    case PacketType::noop:
      break;
    case PacketType::open:
    case PacketType::upgrade:
      close(CloseReason::parse_error);
      break;
  }
}

void Session::on_transport_error(CloseReason reason) {
  if (state_ == State::closed) return;
  if (state_ == State::closing) {
    finalize();
    return;
  }
  outbox_.clear();
  close(reason);
}

bool Session::poll_ready() const noexcept {
  return state_ != State::open || !outbox_.empty() || probed_;
}

std::string Session::finish_poll() {
  poll_waiter_ = nullptr;
  std::string body;
  std::vector<WirePacketPtr> batch;
  batch.reserve(outbox_.size());
  for (size_t i = 0; i < outbox_.size(); ++i) batch.push_back(outbox_[i]);
  const size_t sent = encode_payload(batch, options_.max_payload, body);
  for (size_t i = 0; i < sent; ++i) outbox_.pop_front();

  if (state_ != State::open && outbox_.empty()) {
    // The last response of a session: a client-initiated close is answered with a noop, any
    // other close with a close packet so the client knows not to poll again.
    const char last = close_reason_ == CloseReason::forced_close ? '6' : '1';
    if (!body.empty()) body.push_back(kRecordSeparator);
    body.push_back(last);
    if (state_ == State::closing) finalize();
  } else if (body.empty()) {
    body.push_back('6');  // a probe is in progress: end this GET so the client can complete the upgrade
  }
  return body;
}

void Session::wake_poll() {
  if (poll_waiter_) poll_waiter_->cancel();
}

void Session::attach_websocket(std::shared_ptr<WebSocketTransport> ws) { ws_ = std::move(ws); }

void Session::begin_upgrade(std::shared_ptr<WebSocketTransport> probe) {
  probe_ = std::move(probe);
  probed_ = false;
}

void Session::probe_received(WebSocketTransport* probe) {
  if (probe_.get() != probe) return;
  probed_ = true;
  wake_poll();
}

void Session::complete_upgrade(WebSocketTransport* probe) {
  if (probe_.get() != probe || state_ != State::open) return;
  ws_ = std::move(probe_);
  probed_ = false;
  ws_->activate();
  wake_poll();
  if (!outbox_.empty()) ws_->notify_outbox();
}

void Session::probe_failed(WebSocketTransport* probe) {
  if (probe_.get() == probe) {
    probe_.reset();
    probed_ = false;
  }
}

void Session::close(CloseReason reason) {
  if (state_ != State::open) return;
  state_ = State::closing;  // from here on send() refuses and close() is a no-op
  close_reason_ = reason;
  // Whoever detected a fault has logged it already; this line is for tracing only.
  spdlog::debug("engine.io: session {} closed: {}", sid_, to_string(reason));
  heartbeat_.cancel();
  if (auto handler = std::move(handler_)) handler->on_close(reason);
  if (probe_) {
    probe_->close(http::ws::kCloseNormal, "session closed");
    probe_.reset();
  }
  // Graceful: the client still gets what is queued (and, on polling, a last close packet). A
  // client that sent a close packet itself expects nothing more, and at shutdown a client finds
  // out from its next request anyway: a GET already waiting is answered, but the session does
  // not wait for another one (it would hold the sid, and a drain, for a whole ping timeout).
  const bool graceful = reason == CloseReason::server_close;
  if (ws_) {
    state_ = State::closed;
    registry_.remove(sid_);
    // Packets already queued (a Socket.IO disconnect packet, say) go out before the close frame.
    ws_->close(reason == CloseReason::server_shutdown ? http::ws::kCloseGoingAway : http::ws::kCloseNormal,
               to_string(reason));
    ws_.reset();
    return;
  }
  // A client's own close packet with no GET waiting: its GET may still be on the way, behind
  // the POST (over another connection, through another replica when the load balancer is not
  // sticky), and expects a noop, not an unknown sid. Kept briefly for it.
  const bool late_poll_expected = reason == CloseReason::forced_close;
  if (poll_waiter_ || (!graceful && !late_poll_expected)) {
    // A waiting GET delivers the final packets now; otherwise the client finds the sid gone.
    if (poll_waiter_) {
      wake_poll();
    } else {
      finalize();
    }
    return;
  }
  // Polling, nothing waiting: keep the session until the client polls its last packets, for
  // at most one ping timeout (a second at most after a client's close).
  heartbeat_.expires_after(late_poll_expected ? std::min<std::chrono::milliseconds>(options_.ping_timeout,
                                                                                    std::chrono::seconds(1))
                                              : options_.ping_timeout);
  heartbeat_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->on_heartbeat_timer();
  });
}

void Session::finalize() {
  if (state_ == State::closed) return;
  state_ = State::closed;
  heartbeat_.cancel();
  outbox_.clear();
  registry_.remove(sid_);
}

}  // namespace dchat::engineio
