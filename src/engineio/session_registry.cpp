#include "engineio/session_registry.hpp"

#include "engineio/session.hpp"

namespace dchat::engineio {

core::ConcurrencyLimiter::Refusal SessionRegistry::add(std::shared_ptr<Session> session) {
  auto acquired = limiter_.acquire(session->handshake().client_key);
  if (!acquired.lease) return acquired.refusal;
  std::lock_guard lock(mutex_);
  const size_t shard = session->shard();
  std::string sid = session->sid();
  sessions_.emplace(std::move(sid), Entry{shard, std::move(session), std::move(acquired.lease)});
  return core::ConcurrencyLimiter::Refusal::none;
}

void SessionRegistry::remove(const std::string& sid) {
  std::shared_ptr<Session> keep;  // destroyed after the lock is released
  std::shared_ptr<void> lease;    // released after it too (it takes the limiter's own lock)
  std::lock_guard lock(mutex_);
  if (auto it = sessions_.find(sid); it != sessions_.end()) {
    keep = std::move(it->second.session);
    lease = std::move(it->second.lease);
    sessions_.erase(it);
  }
}

std::optional<SessionRegistry::Entry> SessionRegistry::find(const std::string& sid) const {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(sid);
  if (it == sessions_.end()) return std::nullopt;
  return it->second;
}

std::optional<size_t> SessionRegistry::shard_of(const std::string& sid) const {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(sid);
  if (it == sessions_.end()) return std::nullopt;
  return it->second.shard;
}

size_t SessionRegistry::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

std::vector<std::pair<std::string, size_t>> SessionRegistry::shards() const {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<std::string, size_t>> out;
  out.reserve(sessions_.size());
  for (const auto& [sid, entry] : sessions_) out.emplace_back(sid, entry.shard);
  return out;
}

}  // namespace dchat::engineio
