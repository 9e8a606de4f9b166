#pragma once
// The WebSocket transport of one Engine.IO session, on one shard.
//
// Reads wait for readiness and then read into a per-thread scratch buffer, so an idle
// connection holds no read buffer. Writes take every packet queued for the client (its
// session's outbox, plus frames of its own such as pongs) and send them with one writev();
// a write is deferred to the end of the current batch of handlers, so a burst of broadcasts
// reaches each client in as few system calls as possible.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <string>
#include <vector>

#include "engineio/outbox.hpp"
#include "engineio/packet.hpp"
#include "http/ws_frame.hpp"

namespace dchat::engineio {

class Session;

class WebSocketTransport : public std::enable_shared_from_this<WebSocketTransport>,
                           private http::ws::MessageSink {
 public:
  // `leftover`: bytes read after the upgrade request (a client may send frames right away).
  // `lease`: the connection's slot in the connection limits, released when the socket closes.
  WebSocketTransport(boost::asio::ip::tcp::socket socket, std::string leftover, uint64_t max_payload,
                     std::shared_ptr<void> lease = nullptr);
  ~WebSocketTransport() override;

  // Starts reading. A probing transport only answers the upgrade probe until activated.
  void start(std::shared_ptr<Session> session, bool probing);
  void activate();
  // The session queued packets: write them soon.
  void notify_outbox();
  // Writes queued packets, then a close frame, then shuts the connection down.
  void close(uint16_t code, std::string_view reason);

  static void flush_pending_writes();  // runs the deferred writes of the calling shard

 private:
  void on_ws_message(bool binary, std::string_view payload) override;
  void on_ws_ping(std::string_view payload) override;
  void on_ws_close(uint16_t code, std::string_view reason) override;

  void wait_readable();
  void on_readable();
  void consume(char* data, size_t size);
  void send_own(WirePacketPtr frame);
  void schedule_flush();
  void flush();
  // One write_some: how many of own_ and of the session's outbox went into the batch.
  struct Batch {
    size_t own_count = 0;
    size_t outbox_count = 0;
  };
  enum class Retired { everything, stalled, close_sent };
  Batch gather_batch(const Outbox* outbox);
  Retired retire_written(size_t written, Batch batch, Outbox* outbox);
  void wait_writable();
  void fail(bool notify_session);
  void finish_close();

  boost::asio::ip::tcp::socket socket_;
  http::ws::MessageReader reader_;
  std::string pending_;  // an incomplete frame
  std::shared_ptr<Session> session_;
  std::shared_ptr<void> lease_;
  std::vector<WirePacketPtr> own_;  // frames of this transport: probe answers, pongs
  WirePacketPtr close_frame_;       // written after everything else
  WirePacketPtr partial_;           // a frame whose first partial_offset_ bytes are written
  size_t partial_offset_ = 0;
  std::unique_ptr<boost::asio::steady_timer> linger_;  // bounds the wait for the peer's close
  bool probing_ = false;
  bool dirty_ = false;
  bool waiting_writable_ = false;
  bool close_sent_ = false;
  bool closed_ = false;
};

}  // namespace dchat::engineio
