#pragma once
// All open sessions of one Engine.IO server, by sid, across shards. The lock is taken on
// handshakes, closes and polling requests, never per message.
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace dchat::engineio {

class Session;

class SessionRegistry {
 public:
  void add(std::shared_ptr<Session> session);
  void remove(const std::string& sid);

  struct Entry {
    size_t shard;
    std::shared_ptr<Session> session;  // use only on `shard`
  };
  // Only from the session's own shard: the copy must not be the last reference elsewhere.
  std::optional<Entry> find(const std::string& sid) const;
  // Safe from any shard.
  std::optional<size_t> shard_of(const std::string& sid) const;
  size_t size() const;

  // Every sid with its shard, for shutdown.
  std::vector<std::pair<std::string, size_t>> shards() const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> sessions_;
};

}  // namespace dchat::engineio
