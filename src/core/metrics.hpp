#pragma once
// Process-wide counters and one latency histogram for /metrics (Prometheus text format).
//
// Hand-written rather than prometheus-cpp (not packaged in Debian 12): what is needed is a few
// counters that the hot path can bump without contention — one cache line per event loop, summed
// when scraped — and a text renderer of twenty lines.
#include <array>
#include <atomic>
#include <cstdint>
#include <string>

namespace dchat::core {

class Counter {
 public:
  void inc(uint64_t n = 1) noexcept;
  uint64_t value() const noexcept;

 private:
  struct alignas(64) Slot {
    std::atomic<uint64_t> value{0};
  };
  static constexpr size_t kSlots = 65;  // 64 event loops + everything else
  std::array<Slot, kSlots> slots_{};
};

// Buckets in seconds, fixed (1 ms .. 10 s), as a Prometheus histogram.
class LatencyHistogram {
 public:
  static constexpr std::array<double, 12> kBounds{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                   0.1,   0.25,   0.5,   1.0,  2.5,   10.0};
  void observe(double seconds) noexcept;
  // Appends the _bucket, _sum and _count lines of `name`.
  void render(std::string& out, const std::string& name, const std::string& help) const;

 private:
  std::array<std::atomic<uint64_t>, kBounds.size() + 1> buckets_{};  // last: +Inf
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_us_{0};
};

struct Metrics {
  Counter connections_opened;   // Engine.IO sessions opened
  Counter connections_refused;  // TCP connections refused over a connection limit
  Counter sessions_refused;     // Engine.IO handshakes refused over a session limit
  Counter slow_clients_dropped; // sessions closed because their outbox was full
  Counter forwards;             // requests passed to the replica owning their session
  Counter forwards_failed;      // of those, owner unreachable or failed (answered "Session ID unknown")
  Counter forwards_refused;     // requests not forwarded: too many in flight
  Counter websockets_proxied;   // WebSocket upgrades joined to their owner for the WebSocket's life
  Counter packets_in;           // Socket.IO packets received from clients
  Counter packets_out;          // Engine.IO packets queued for clients (a broadcast counts per recipient)
  Counter broadcasts;           // room/namespace broadcasts emitted by this replica
  Counter messages_stored;      // chat messages stored (not counting idempotent resends)
  Counter store_refused;        // store jobs refused because the queue was full
  Counter store_groups;         // group commits attempted by the store's writer
  Counter store_group_writes;   // writes those groups carried (÷ store_groups = mean group size)
  Counter store_group_failures; // groups that could not commit (each of their writes answered unavailable)
  Counter rate_limited;         // requests refused by a per-user or per-client rate limit
  Counter overloaded;           // requests refused because too much was in flight
  LatencyHistogram store_seconds;  // time from submitting a store job to its completion
};

Metrics& metrics() noexcept;

// Prometheus text format helpers.
void render_counter(std::string& out, const std::string& name, const std::string& help, uint64_t value);
void render_gauge(std::string& out, const std::string& name, const std::string& help, double value);

}  // namespace dchat::core
