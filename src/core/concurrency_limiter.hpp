#pragma once
// Counts live resources (TCP connections, say) per client key and in total, each with a cap.
// acquire() hands out a lease that gives its slot back when the last copy of it is dropped, so
// the lease can travel with the resource (a connection moving between event loops, or becoming
// a WebSocket) and the count can never drift. Thread-safe; one short lock per acquire/release.
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace dchat::core {

class ConcurrencyLimiter {
 public:
  enum class Refusal { none, total, per_client };
  struct Acquired {
    std::shared_ptr<void> lease;  // null when refused
    Refusal refusal = Refusal::none;
  };

  ConcurrencyLimiter(size_t max_total, size_t max_per_key);

  // `exempt` keys (a trusted proxy carrying many clients) count only against the total.
  Acquired acquire(const std::string& key, bool exempt = false);
  size_t total() const;
  size_t of(const std::string& key) const;
  size_t max_total() const noexcept { return state_->max_total; }

 private:
  struct State {
    size_t max_total;
    size_t max_per_key;
    mutable std::mutex mutex;
    size_t total = 0;
    std::unordered_map<std::string, size_t> per_key;
  };
  // Shared with the leases: a lease may outlive the limiter (a connection destroyed at exit).
  std::shared_ptr<State> state_;
};

}  // namespace dchat::core
