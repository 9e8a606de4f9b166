#pragma once
// Who is online in which room, counted per connection so that a user with two tabs is one
// entry and stays online until the last tab leaves. Shared by all shards (one lock; touched on
// joins and leaves, not per message). In-process: the cluster version comes with issue #4.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
#include <map>
#include <mutex>

namespace dchat::chat {

class Presence {
 public:
  // True when the user was not online in the room before (the online list changed).
  bool join(int64_t room_id, int64_t user_id, const boost::json::object& user);
  // True when this was the user's last connection in the room.
  bool leave(int64_t room_id, int64_t user_id);
  void update_user(int64_t user_id, const boost::json::object& user);
  boost::json::array online(int64_t room_id) const;

 private:
  struct Entry {
    size_t connections = 0;
    boost::json::object user;
  };
  mutable std::mutex mutex_;
  std::map<int64_t, std::map<int64_t, Entry>> rooms_;  // ordered: stable online lists
};

}  // namespace dchat::chat
