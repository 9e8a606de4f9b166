#include "engineio/websocket_transport.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "core/log_throttle.hpp"
#include "engineio/session.hpp"

namespace dchat::engineio {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

// Per-shard state: the scratch buffer every read goes through, and the transports that have
// packets to write at the end of the current batch of handlers.
constexpr size_t kScratchSize = 64 * 1024;
constexpr size_t kMaxPacketsPerWrite = 256;  // 512 iovecs, below IOV_MAX (1024)
thread_local std::vector<char> t_scratch;
thread_local std::vector<std::shared_ptr<WebSocketTransport>> t_dirty;
thread_local std::vector<std::shared_ptr<WebSocketTransport>> t_dirty_spare;
thread_local std::vector<asio::const_buffer> t_iov;
thread_local std::vector<const WirePacket*> t_batch;

constexpr auto kCloseLinger = std::chrono::seconds(5);
// Frames this transport answers by itself (probe pongs, WebSocket pongs) waiting to be written.
constexpr size_t kMaxOwnFrames = 16;

}  // namespace

WebSocketTransport::WebSocketTransport(asio::ip::tcp::socket socket, std::string leftover, uint64_t max_payload,
                                       std::shared_ptr<void> lease)
    : socket_(std::move(socket)), reader_(max_payload), pending_(std::move(leftover)), lease_(std::move(lease)) {}

WebSocketTransport::~WebSocketTransport() = default;

void WebSocketTransport::start(std::shared_ptr<Session> session, bool probing) {
  session_ = std::move(session);
  probing_ = probing;
  error_code ec;
  socket_.non_blocking(true, ec);
  if (!pending_.empty()) {
    std::string first = std::move(pending_);
    pending_.clear();
    consume(first.data(), first.size());
    if (closed_) return;
  }
  wait_readable();
}

void WebSocketTransport::activate() {
  probing_ = false;
  schedule_flush();
}

void WebSocketTransport::wait_readable() {
  socket_.async_wait(asio::socket_base::wait_read, [self = shared_from_this()](error_code ec) {
    if (ec) {
      if (!self->closed_) self->fail(true);
      return;
    }
    self->on_readable();
  });
}

void WebSocketTransport::on_readable() {
  if (closed_) return;
  if (t_scratch.empty()) t_scratch.resize(kScratchSize);
  while (true) {
    error_code ec;
    const size_t n = socket_.read_some(asio::buffer(t_scratch), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) break;
    if (ec) {
      if (close_sent_) {
        finish_close();
      } else {
        fail(true);
      }
      return;
    }
    if (close_frame_) continue;  // closing: discard input until the peer closes
    consume(t_scratch.data(), n);
    if (closed_) return;
    if (n < t_scratch.size()) break;
  }
  wait_readable();
}

void WebSocketTransport::consume(char* data, size_t size) {
  http::ws::ProtocolError error;
  if (pending_.empty()) {
    const size_t used = reader_.feed(data, size, *this, error);
    if (!error && used < size && !close_frame_) pending_.assign(data + used, size - used);
  } else {
    pending_.append(data, size);
    const size_t used = reader_.feed(pending_.data(), pending_.size(), *this, error);
    pending_.erase(0, used);
    if (pending_.capacity() > 4096 && pending_.size() < 1024) pending_.shrink_to_fit();
  }
  if (error && !close_frame_) {
    spdlog::info("websocket: closing connection: {}", error.reason);
    close(error.code, error.reason);  // first, so the client gets this code and reason
    if (auto session = session_) {
      if (probing_) {
        session->probe_failed(this);
      } else {
        session->on_transport_error(CloseReason::transport_error);
      }
    }
  }
}

void WebSocketTransport::on_ws_message(bool binary, std::string_view payload) {
  if (close_frame_ || closed_ || !session_) return;
  if (probing_) {
    if (!binary && payload == "2probe") {
      send_own(WirePacket::make(PacketType::pong, "probe"));
      session_->probe_received(this);
    } else if (!binary && payload == "5") {
      session_->complete_upgrade(this);
    } else {
      close(http::ws::kClosePolicyViolation, "invalid upgrade");
      session_->probe_failed(this);
    }
    return;
  }
  if (binary) {
    session_->on_packet(Packet{PacketType::message, true, std::string(payload)});
    return;
  }
  auto packet = decode_text_packet(payload);
  if (!packet) {
    spdlog::info("engine.io: session {}: malformed packet, closing", session_->sid());
    close(http::ws::kCloseProtocolError, "malformed Engine.IO packet");
    session_->on_transport_error(CloseReason::parse_error);
    return;
  }
  session_->on_packet(*packet);
}

void WebSocketTransport::on_ws_ping(std::string_view payload) {
  // RFC 6455 5.5.3: a pong may answer only the most recent ping. A pong still waiting to be
  // written is replaced rather than joined by another, so a ping flood from a client that does
  // not read queues one pong, not one per ping.
  auto pong = WirePacket::make_ws_control(http::ws::Opcode::pong, std::string(payload));
  for (auto& frame : own_) {
    if (frame->ws_opcode() == http::ws::Opcode::pong) {
      frame = std::move(pong);
      return;
    }
  }
  send_own(std::move(pong));
}

void WebSocketTransport::on_ws_close(uint16_t code, std::string_view) {
  if (close_frame_) {
    if (close_sent_) finish_close();
    return;
  }
  // Echo the code as RFC 6455 asks (1005 "no code" is answered with a plain normal close).
  close(code == 1005 || code < 1000 ? http::ws::kCloseNormal : code, "");
  if (auto session = session_) {
    if (probing_) {
      session->probe_failed(this);
    } else {
      session->on_transport_error(CloseReason::transport_close);
    }
  }
}

void WebSocketTransport::send_own(WirePacketPtr frame) {
  if (close_frame_ || closed_) return;
  if (own_.size() >= kMaxOwnFrames) {
    // Only a client that makes us answer (probes, pings) faster than it reads gets here.
    CHAT_LOG_THROTTLED(spdlog::level::info, "websocket: closing a connection that does not read its control answers");
    close(http::ws::kClosePolicyViolation, "too many unanswered control frames");
    if (auto session = session_) {
      if (probing_) {
        session->probe_failed(this);
      } else {
        session->on_transport_error(CloseReason::slow_client);
      }
    }
    return;
  }
  own_.push_back(std::move(frame));
  schedule_flush();
}

void WebSocketTransport::notify_outbox() {
  if (probing_) return;
  schedule_flush();
}

void WebSocketTransport::schedule_flush() {
  if (dirty_ || waiting_writable_ || closed_) return;
  dirty_ = true;
  t_dirty.push_back(shared_from_this());
  if (t_dirty.size() == 1) asio::post(socket_.get_executor(), &WebSocketTransport::flush_pending_writes);
}

void WebSocketTransport::flush_pending_writes() {
  t_dirty_spare.swap(t_dirty);
  for (auto& transport : t_dirty_spare) {
    transport->dirty_ = false;
    transport->flush();
  }
  t_dirty_spare.clear();
}

namespace {

// Adds a packet's unwritten bytes (after `skip`) to this write's iovecs.
void add_to_batch(const WirePacket* p, size_t skip) {
  const auto& h = p->ws_header();
  if (skip < h.size) t_iov.emplace_back(h.bytes.data() + skip, h.size - skip);
  const size_t data_skip = skip > h.size ? skip - h.size : 0;
  if (p->data().size() > data_skip) t_iov.emplace_back(p->data().data() + data_skip, p->data().size() - data_skip);
  t_batch.push_back(p);
}

}  // namespace

void WebSocketTransport::flush() {
  if (closed_ || waiting_writable_) return;
  Outbox* outbox = (!probing_ && session_) ? &session_->outbox() : nullptr;
  while (true) {
    const Batch batch = gather_batch(outbox);
    if (t_batch.empty()) return;

    error_code ec;
    size_t written = socket_.write_some(t_iov, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      ec = {};
      written = 0;
    }
    if (ec) {
      fail(true);
      return;
    }
    switch (retire_written(written, batch, outbox)) {
      case Retired::everything:
        continue;
      case Retired::close_sent:
        // Our half is done; keep reading until the peer closes too (bounded by linger_).
        socket_.shutdown(asio::socket_base::shutdown_send, ec);
        return;
      case Retired::stalled:
        wait_writable();
        return;
    }
  }
}

WebSocketTransport::Batch WebSocketTransport::gather_batch(const Outbox* outbox) {
  t_iov.clear();
  t_batch.clear();
  Batch batch;
  if (partial_) add_to_batch(partial_.get(), partial_offset_);
  for (; batch.own_count < own_.size() && t_batch.size() < kMaxPacketsPerWrite; ++batch.own_count)
    add_to_batch(own_[batch.own_count].get(), 0);
  if (outbox)
    for (; batch.outbox_count < outbox->size() && t_batch.size() < kMaxPacketsPerWrite; ++batch.outbox_count)
      add_to_batch((*outbox)[batch.outbox_count].get(), 0);
  const bool everything_batched = batch.own_count == own_.size() && (!outbox || batch.outbox_count == outbox->size());
  if (everything_batched && close_frame_ && !close_sent_ && t_batch.size() < kMaxPacketsPerWrite)
    add_to_batch(close_frame_.get(), 0);
  return batch;
}

WebSocketTransport::Retired WebSocketTransport::retire_written(size_t written, Batch batch, Outbox* outbox) {
  // Retires what was written, in the order it was batched; the first packet not written whole
  // becomes partial_ and the write stalls there.
  auto retire = [&](const WirePacket* p, size_t already) -> bool {
    const size_t remaining = p->wire_size() - already;
    if (written >= remaining) {
      written -= remaining;
      return true;
    }
    partial_offset_ = already + written;
    written = 0;
    return false;
  };
  if (partial_) {
    if (!retire(partial_.get(), partial_offset_)) return Retired::stalled;
    partial_.reset();
    partial_offset_ = 0;
  }
  size_t own_done = 0;
  bool stalled = false;
  while (own_done < batch.own_count) {
    const bool whole = retire(own_[own_done].get(), 0);
    if (!whole) partial_ = own_[own_done];
    ++own_done;
    if (!whole) {
      stalled = true;
      break;
    }
  }
  own_.erase(own_.begin(), own_.begin() + static_cast<std::ptrdiff_t>(own_done));
  if (stalled) return Retired::stalled;
  for (size_t outbox_done = 0; outbox_done < batch.outbox_count; ++outbox_done) {
    const bool whole = retire((*outbox)[0].get(), 0);
    if (!whole) partial_ = (*outbox)[0];
    outbox->pop_front();
    if (!whole) return Retired::stalled;
  }
  if (close_frame_ && !close_sent_ && t_batch.back() == close_frame_.get()) {
    close_sent_ = true;
    if (retire(close_frame_.get(), 0)) return Retired::close_sent;
    partial_ = close_frame_;
    return Retired::stalled;
  }
  return Retired::everything;
}

void WebSocketTransport::wait_writable() {
  waiting_writable_ = true;
  socket_.async_wait(asio::socket_base::wait_write, [self = shared_from_this()](error_code ec) {
    self->waiting_writable_ = false;
    if (ec) {
      if (!self->closed_) self->fail(true);
      return;
    }
    self->flush();
  });
}

void WebSocketTransport::close(uint16_t code, std::string_view reason) {
  if (closed_ || close_frame_) return;
  close_frame_ = WirePacket::make_ws_control(http::ws::Opcode::close, http::ws::close_payload(code, reason));
  linger_ = std::make_unique<asio::steady_timer>(socket_.get_executor(), kCloseLinger);
  linger_->async_wait([self = shared_from_this()](error_code ec) {
    if (!ec) self->finish_close();
  });
  schedule_flush();
}

void WebSocketTransport::fail(bool notify_session) {
  if (closed_) return;
  auto session = std::move(session_);
  finish_close();
  if (notify_session && session) {
    if (probing_) {
      session->probe_failed(this);
    } else {
      session->on_transport_error(CloseReason::transport_close);
    }
  }
}

void WebSocketTransport::finish_close() {
  if (closed_) return;
  closed_ = true;
  error_code ec;
  socket_.close(ec);
  lease_.reset();
  if (linger_) linger_->cancel();
  own_.clear();
  partial_.reset();
  session_.reset();
}

}  // namespace dchat::engineio
