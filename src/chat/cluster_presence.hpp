#pragma once
// Presence across replicas: this process's connections (the Presence base class) plus what
// every other live replica reports over the ClusterBus, so the online list is the same on all
// replicas and a user connected to two replicas is one entry.
//
// Protocol on channel dchat.presence (JSON, a few messages per join/leave, never per chat
// message):
//   {"t":"d","n":node,"s":seq,"op":"join"|"leave","r":room,"u":user,"user":{...}}   a change
//   {"t":"d","n":node,"s":seq,"op":"user","u":user,"user":{...}}                    new profile
//   {"t":"h","n":node,"s":seq}                     heartbeat: the sender's latest seq
//   {"t":"q","n":node,"to":target}                 please send your snapshot
//   {"t":"snap","n":node,"s":seq,"users":{"<id>":{...}},"rooms":{"<room>":[id...]}}
// Every node numbers its changes; a receiver that sees a gap (a lost message, a broker outage,
// a node it has not heard before) asks that node for a snapshot, which replaces what it knew.
// A node that stops sending heartbeats is dropped by the ClusterBus after its TTL, and its users
// with it: the online list is right within that bounded time after a replica dies.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "chat/presence.hpp"
#include "core/lifeline.hpp"
#include "socketio/cluster_bus.hpp"

namespace dchat::chat {

class ClusterPresence : public Presence {
 public:
  static constexpr std::string_view kChannel = "dchat.presence";

  // `timers` runs the heartbeat. Call start() once the bus is started.
  ClusterPresence(socketio::ClusterBus& bus, boost::asio::io_context& timers,
                  std::chrono::milliseconds heartbeat = std::chrono::milliseconds(2000));
  ~ClusterPresence() override;

  // `fn(room)` runs (on a broker or timer thread) when a room's online list changed because of
  // another replica; the chat then shows the new list to its local members.
  void on_remote_change(std::function<void(int64_t room_id)> fn) { remote_change_ = std::move(fn); }
  void start();
  // Stops the heartbeat; nothing of this object runs on `timers` after it returns.
  void stop() { lifeline_.cut(); }

  bool join(int64_t room_id, int64_t user_id, const boost::json::object& user) override;
  bool leave(int64_t room_id, int64_t user_id) override;
  void update_user(int64_t user_id, const boost::json::object& user) override;
  boost::json::array online(int64_t room_id) const override;

 private:
  using Users = std::map<int64_t, boost::json::object>;
  struct Node {
    uint64_t seq = 0;
    bool synced = false;  // has applied a snapshot (or started from zero with us)
    std::map<int64_t, Users> rooms;
    std::chrono::steady_clock::time_point last_request{};
  };

  void on_message(std::string_view payload);
  void apply_delta(const std::string& node, const boost::json::object& m);
  void apply_snapshot(const std::string& node, const boost::json::object& m);
  void request_snapshot(const std::string& node, Node& state);
  void send_snapshot();
  void drop_node(const std::string& node);
  void publish_delta(boost::json::object m);
  bool remote_has(int64_t room_id, int64_t user_id) const;  // mutex_ held
  std::set<int64_t> union_ids(int64_t room_id) const;       // mutex_ held
  void notify(const std::set<int64_t>& rooms);
  void tick();

  socketio::ClusterBus& bus_;
  boost::asio::steady_timer timer_;
  std::chrono::milliseconds heartbeat_;
  std::function<void(int64_t)> remote_change_;

  core::Lifeline lifeline_;
  mutable std::mutex mutex_;  // guards nodes_ and seq_ (the base class has its own lock)
  std::map<std::string, Node, std::less<>> nodes_;
  uint64_t seq_ = 0;
};

}  // namespace dchat::chat
