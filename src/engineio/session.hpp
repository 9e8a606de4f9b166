#pragma once
// One Engine.IO session: heartbeat, the bounded outbox, and which transport (long-polling or
// WebSocket) currently carries it, including the polling → WebSocket upgrade. A session is
// pinned to one shard: all its methods run on that shard's thread.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <span>
#include <string>

#include "engineio/handler.hpp"
#include "engineio/options.hpp"
#include "engineio/outbox.hpp"
#include "engineio/packet.hpp"

namespace dchat::engineio {

class SessionRegistry;
class WebSocketTransport;

// What the client sent when it opened the session; the Socket.IO layer and the application
// read it (cookie for authentication, address for rate limits).
struct HandshakeInfo {
  std::string query;
  std::string cookie;
  std::string origin;
  std::string address;     // the client's (behind trusted proxies: what they report)
  std::string client_key;  // what per-client limits count by (IPv6: the /64)
  bool secure = false;     // https, as a trusted proxy says
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(boost::asio::io_context& ctx, size_t shard, std::string sid, const Options& options,
          SessionRegistry& registry, HandshakeInfo handshake);
  ~Session();

  const std::string& sid() const noexcept { return sid_; }
  size_t shard() const noexcept { return shard_; }
  const HandshakeInfo& handshake() const noexcept { return handshake_; }
  const Options& options() const noexcept { return options_; }
  boost::asio::io_context& context() noexcept { return ctx_; }
  // Closing, closed, or about to close (its outbox overflowed; see overflow()).
  bool closed() const noexcept { return state_ != State::open || overflowed_; }
  bool on_websocket() const noexcept { return ws_ != nullptr; }
  bool upgrading() const noexcept { return probe_ != nullptr; }

  // The session owns its handler until it closes.
  void set_handler(std::shared_ptr<Handler> handler) noexcept { handler_ = std::move(handler); }

  // Queues packets for the client (an event and its binary attachments go together).
  // false when the session is closed or the packets were dropped (volatile, outbox full).
  bool send(std::span<const WirePacketPtr> packets, bool is_volatile = false);
  bool send(const WirePacketPtr& packet, bool is_volatile = false) { return send({&packet, 1}, is_volatile); }

  // Server-initiated close: queued packets are still delivered, then the transport closes.
  void close(CloseReason reason);

  // ---- used by the transports ----
  void start_heartbeat();
  void on_packet(const Packet& packet);
  void on_transport_error(CloseReason reason);

  // Polling: at most one GET may wait at a time; the waiter is cancelled when it should wake.
  bool poll_pending() const noexcept { return poll_waiter_ != nullptr; }
  void begin_poll(boost::asio::steady_timer* waiter) noexcept { poll_waiter_ = waiter; }
  bool poll_ready() const noexcept;
  // Ends the pending GET and returns its body.
  std::string finish_poll();
  bool post_in_progress = false;

  // WebSocket upgrade.
  void attach_websocket(std::shared_ptr<WebSocketTransport> ws);  // a WebSocket-only session
  void begin_upgrade(std::shared_ptr<WebSocketTransport> probe);  // a WebSocket with our sid opened
  void probe_received(WebSocketTransport* probe);                  // it sent "2probe"
  void complete_upgrade(WebSocketTransport* probe);
  void probe_failed(WebSocketTransport* probe);
  Outbox& outbox() noexcept { return outbox_; }

 private:
  enum class State { open, closing, closed };
  void overflow();
  void on_heartbeat_timer();
  void wake_poll();
  void finalize();

  boost::asio::io_context& ctx_;
  size_t shard_;
  std::string sid_;
  const Options& options_;
  SessionRegistry& registry_;
  HandshakeInfo handshake_;
  std::shared_ptr<Handler> handler_;
  State state_ = State::open;
  bool overflowed_ = false;  // the outbox overflowed: refuse packets, close from the event loop
  CloseReason close_reason_ = CloseReason::server_close;

  Outbox outbox_;
  boost::asio::steady_timer heartbeat_;
  bool awaiting_pong_ = false;

  std::shared_ptr<WebSocketTransport> ws_;     // the active transport when on WebSocket
  std::shared_ptr<WebSocketTransport> probe_;  // a WebSocket being probed during an upgrade
  bool probed_ = false;                        // the probe answered: pending GETs end with a noop
  boost::asio::steady_timer* poll_waiter_ = nullptr;
};

}  // namespace dchat::engineio
