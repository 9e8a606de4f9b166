#include "chat/presence.hpp"

namespace dchat::chat {

bool Presence::join(int64_t room_id, int64_t user_id, const boost::json::object& user) {
  std::lock_guard lock(mutex_);
  auto& e = rooms_[room_id][user_id];
  e.user = user;
  return ++e.connections == 1;
}

bool Presence::leave(int64_t room_id, int64_t user_id) {
  std::lock_guard lock(mutex_);
  auto room = rooms_.find(room_id);
  if (room == rooms_.end()) return false;
  auto it = room->second.find(user_id);
  if (it == room->second.end()) return false;
  if (--it->second.connections > 0) return false;
  room->second.erase(it);
  if (room->second.empty()) rooms_.erase(room);
  return true;
}

void Presence::update_user(int64_t user_id, const boost::json::object& user) {
  std::lock_guard lock(mutex_);
  for (auto& [room_id, users] : rooms_)
    if (auto it = users.find(user_id); it != users.end()) it->second.user = user;
}

boost::json::array Presence::online(int64_t room_id) const {
  std::lock_guard lock(mutex_);
  boost::json::array out;
  auto room = rooms_.find(room_id);
  if (room == rooms_.end()) return out;
  for (const auto& [id, e] : room->second) out.push_back(e.user);
  return out;
}

std::map<int64_t, boost::json::object> Presence::local_users(int64_t room_id) const {
  std::lock_guard lock(mutex_);
  std::map<int64_t, boost::json::object> out;
  if (auto room = rooms_.find(room_id); room != rooms_.end())
    for (const auto& [id, e] : room->second) out.emplace(id, e.user);
  return out;
}

std::map<int64_t, std::map<int64_t, boost::json::object>> Presence::local_snapshot() const {
  std::lock_guard lock(mutex_);
  std::map<int64_t, std::map<int64_t, boost::json::object>> out;
  for (const auto& [room_id, users] : rooms_)
    for (const auto& [id, e] : users) out[room_id].emplace(id, e.user);
  return out;
}

}  // namespace dchat::chat
