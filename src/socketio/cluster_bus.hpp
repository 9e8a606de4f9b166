#pragma once
// The replicas' shared line: one Broker per process, shared by every namespace's ClusterAdapter
// and by the chat's cluster presence. It routes inbound messages by channel prefix, announces
// this node with a heartbeat and keeps the table of live nodes (so server_count() and presence
// know when a replica died), and reports broker connection changes.
//
// Node liveness: each node publishes a heartbeat on kNodesChannel every `heartbeat`; a node not
// heard from for `missed_heartbeats` intervals is declared down. While this node's own broker
// connection is down it hears nobody, so expiry pauses; after a reconnect every node gets a fresh
// grace period instead of being declared dead at once.
//
// Watchdog: every node also hears its own heartbeat. A connection the client library still
// believes up but that carries nothing (a broker that vanished without closing it) shows as
// our own heartbeat not coming back: the bus then counts as disconnected (readiness fails, so
// the load balancer moves clients away) until it comes back, which triggers a resync.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "broker/broker.hpp"
#include "core/lifeline.hpp"

namespace dchat::socketio {

class ClusterBus {
 public:
  using Handler = std::function<void(std::string_view channel, std::string_view payload)>;
  struct Options {
    std::chrono::milliseconds heartbeat{2000};
    int missed_heartbeats = 4;
    std::string node_name;  // for logs (REPLICA_NAME or the host name)
  };
  static constexpr std::string_view kNodesChannel = "dchat.nodes";

  // `timers` runs the heartbeat and the listeners (on_node_down, on_connection_change).
  ClusterBus(broker::Broker& broker, boost::asio::io_context& timers, Options options);
  ~ClusterBus();
  ClusterBus(const ClusterBus&) = delete;
  ClusterBus& operator=(const ClusterBus&) = delete;

  const std::string& node_id() const noexcept { return node_id_; }
  broker::Broker& broker() noexcept { return broker_; }

  // Channels starting with `prefix` go to `handler` (on a broker thread). May be called any time.
  void route(std::string prefix, Handler handler);
  // connected: the broker connection state; recovered: true when it came back after a loss.
  void on_connection_change(std::function<void(bool connected, bool recovered)> listener);
  void on_node_down(std::function<void(const std::string& node)> listener);
  // What this node tells the others with every heartbeat (one line, no '\n'; how to reach it
  // for session forwarding), and what it hears from them: `listener(node, announcement)` runs
  // (on a broker thread) when a node's announcement is new or changed, and at once (on the
  // caller's thread) for every announcement heard before the listener was added.
  void announce(std::string announcement);
  void on_announcement(std::function<void(const std::string& node, const std::string& announcement)> listener);

  void start();
  void stop();

  // Live nodes, this one included.
  size_t node_count() const;
  bool connected() const noexcept { return connected_ && !deaf_; }

  // A channel-safe token for any name: its lower-case alphanumerics (readable in broker tools)
  // plus 16 hex digits of its SHA-256 (unique).
  static std::string channel_key(std::string_view name);

 private:
  void dispatch(std::string_view channel, std::string_view payload);
  void heard(std::string_view payload);
  void tick();
  void schedule();
  void notify_connection(bool connected, bool recovered);

  broker::Broker& broker_;
  boost::asio::io_context& timers_;
  Options options_;
  std::string node_id_;
  boost::asio::steady_timer timer_;
  std::atomic<bool> connected_{false};
  std::atomic<bool> deaf_{false};  // connected, but our own heartbeat does not come back
  std::atomic<int64_t> self_heard_{0};  // steady_clock ticks of the last own heartbeat heard
  std::atomic<bool> stopped_{false};
  bool ever_connected_ = false;  // touched on timers_ only
  core::Lifeline lifeline_;      // nothing posted to timers_ runs after stop()

  mutable std::mutex mutex_;
  std::vector<std::pair<std::string, Handler>> routes_;
  std::map<std::string, std::chrono::steady_clock::time_point, std::less<>> nodes_;  // others, last heard
  std::map<std::string, std::string, std::less<>> announcements_;                    // others, last heard
  std::string announcement_;
  std::vector<std::function<void(const std::string&, const std::string&)>> announcement_listeners_;
  std::vector<std::function<void(bool, bool)>> connection_listeners_;
  std::vector<std::function<void(const std::string&)>> node_down_listeners_;
};

}  // namespace dchat::socketio
