#pragma once
// The bounded queue of packets waiting to be written to one client. Entries are shared
// pointers to packets encoded once, so a broadcast costs one reference per recipient.
#include <cstddef>
#include <iterator>
#include <vector>

#include "engineio/packet.hpp"

namespace dchat::engineio {

class Outbox {
 public:
  enum class Push { ok, dropped, full, too_large };

  Outbox(size_t max_packets, size_t max_bytes) : max_packets_(max_packets), max_bytes_(max_bytes) {}

  // Volatile packets are dropped when the queue is full; anything else reports `full`, and the
  // owner then disconnects the client (it cannot keep up).
  // A packet that could never fit, even in an empty queue, is `too_large`: it is not the
  // client's fault, and disconnecting it would only repeat on reconnect.
  Push push(WirePacketPtr packet, bool is_volatile) {
    if (packet->wire_size() > max_bytes_) return Push::too_large;
    // The limit counts what is still queued, not the slots already written from the head: a
    // client that keeps up but never quite empties its queue is not slow.
    if (size() >= max_packets_ || bytes_ + packet->wire_size() > max_bytes_)
      return is_volatile ? Push::dropped : Push::full;
    // Written slots are dropped once they are half the vector, so it holds at most about twice
    // the limit however long the queue goes without emptying (amortised: each slot moves once).
    if (head_ > 0 && head_ >= packets_.size() / 2) {
      packets_.erase(packets_.begin(), packets_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
    bytes_ += packet->wire_size();
    packets_.push_back(std::move(packet));
    return Push::ok;
  }

  bool fits_at_all(const WirePacket& packet) const noexcept { return packet.wire_size() <= max_bytes_; }
  bool empty() const noexcept { return head_ == packets_.size(); }
  size_t size() const noexcept { return packets_.size() - head_; }
  size_t bytes() const noexcept { return bytes_; }
  const WirePacketPtr& front() const { return packets_[head_]; }
  const WirePacketPtr& operator[](size_t i) const { return packets_[head_ + i]; }

  void pop_front() {
    bytes_ -= packets_[head_]->wire_size();
    packets_[head_++].reset();
    if (head_ == packets_.size()) {
      head_ = 0;
      packets_.clear();
      // An idle client should not keep the capacity a burst once needed.
      if (packets_.capacity() > 64) packets_.shrink_to_fit();
    }
  }
  void clear() {
    packets_.clear();
    packets_.shrink_to_fit();
    head_ = 0;
    bytes_ = 0;
  }

 private:
  size_t max_packets_;
  size_t max_bytes_;
  size_t bytes_ = 0;
  // A vector with a moving head rather than std::deque: an empty deque already allocates
  // over 500 bytes, which idle connections would all pay for.
  std::vector<WirePacketPtr> packets_;
  size_t head_ = 0;
};

}  // namespace dchat::engineio
