#pragma once
// Who is online in which room, counted per connection so that a user with two tabs is one
// entry and stays online until the last tab leaves. Shared by all shards (one lock; touched on
// joins and leaves, not per message). This class knows this process only; ClusterPresence
// (cluster_presence.hpp) adds what the other replicas report.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
#include <map>
#include <mutex>

namespace dchat::chat {

class Presence {
 public:
  virtual ~Presence() = default;
  // True when the user was not online in the room before (the online list changed).
  virtual bool join(int64_t room_id, int64_t user_id, const boost::json::object& user);
  // True when this was the user's last connection in the room (the online list changed).
  virtual bool leave(int64_t room_id, int64_t user_id);
  virtual void update_user(int64_t user_id, const boost::json::object& user);
  // Ordered by user id.
  virtual boost::json::array online(int64_t room_id) const;

  // Rooms with at least one connection of this process in them.
  size_t active_rooms() const {
    std::lock_guard lock(mutex_);
    return rooms_.size();
  }
  // The users online in a room through this process's connections, by id.
  std::map<int64_t, boost::json::object> local_users(int64_t room_id) const;
  // Every room with local users, and who.
  std::map<int64_t, std::map<int64_t, boost::json::object>> local_snapshot() const;

 private:
  struct Entry {
    size_t connections = 0;
    boost::json::object user;
  };
  mutable std::mutex mutex_;
  std::map<int64_t, std::map<int64_t, Entry>> rooms_;  // ordered: stable online lists
};

}  // namespace dchat::chat
