#include "engineio/session_registry.hpp"

#include "engineio/session.hpp"

namespace dchat::engineio {

void SessionRegistry::add(std::shared_ptr<Session> session) {
  std::lock_guard lock(mutex_);
  const size_t shard = session->shard();
  std::string sid = session->sid();
  sessions_.emplace(std::move(sid), Entry{shard, std::move(session)});
}

void SessionRegistry::remove(const std::string& sid) {
  std::shared_ptr<Session> keep;  // destroyed after the lock is released
  std::lock_guard lock(mutex_);
  if (auto it = sessions_.find(sid); it != sessions_.end()) {
    keep = std::move(it->second.session);
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
