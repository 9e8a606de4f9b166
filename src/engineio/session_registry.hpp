#pragma once
// All open sessions of one Engine.IO server, by sid, across shards. The lock is taken on
// handshakes, closes and polling requests, never per message.
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/concurrency_limiter.hpp"

namespace dchat::engineio {

class Session;

class SessionRegistry {
 public:
  // Sessions in all and per client (HandshakeInfo::client_key) are capped.
  SessionRegistry(size_t max_sessions, size_t max_per_client) : limiter_(max_sessions, max_per_client) {}

  // Registers the session unless that would exceed a cap (then it is not registered).
  core::ConcurrencyLimiter::Refusal add(std::shared_ptr<Session> session);
  void remove(const std::string& sid);

  struct Entry {
    size_t shard;
    std::shared_ptr<Session> session;  // use only on `shard`
    std::shared_ptr<void> lease;       // the session's slot in the caps
  };
  // Only from the session's own shard: the copy must not be the last reference elsewhere.
  std::optional<Entry> find(const std::string& sid) const;
  // Safe from any shard.
  std::optional<size_t> shard_of(const std::string& sid) const;
  size_t size() const;

  // Every sid with its shard, for shutdown.
  std::vector<std::pair<std::string, size_t>> shards() const;

 private:
  core::ConcurrencyLimiter limiter_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> sessions_;
};

}  // namespace dchat::engineio
