#pragma once
// The adapter for many replicas: a LocalAdapter for this process plus a ClusterBus to the others.
// A broadcast is delivered here and published once (the encoded packet's bytes, not the event
// again), so every replica hands the same frames to its sockets.
//
// Channels, per namespace (K = ClusterBus::channel_key of the namespace):
//   dchat.io.K.all        every replica subscribes: namespace-wide broadcasts, broadcasts to
//                         several rooms, fetch_sockets requests, commands for socket-id rooms
//   dchat.io.K.r.<room>   subscribed only while this replica has a local member of the room,
//                         so a replica receives a room's traffic only when someone here needs it
//   dchat.io.K.n.<node>   replies addressed to one replica (fetch_sockets)
// A broadcast to exactly one room goes to that room's channel; anything else goes to `all`
// (a socket in two rooms must get a packet once, which per-room channels cannot promise).
// A room named like a socket id (20 URL-safe characters: socket.io's private room of one
// socket) has no members table entry anywhere, so it also goes to `all` — the same rule
// socket.io's sharded Redis adapter uses. So do rooms whose name starts with "#" (personal
// rooms: one per sign-in session, say), which are never given a channel of their own.
#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/shard_pool.hpp"
#include "socketio/cluster_bus.hpp"
#include "socketio/cluster_envelope.hpp"
#include "socketio/local_adapter.hpp"

namespace dchat::socketio {

class ClusterAdapter : public Adapter {
 public:
  ClusterAdapter(const std::string& nsp, ClusterBus& bus, core::ShardPool& pool,
                 std::chrono::milliseconds fetch_timeout = std::chrono::milliseconds(2000));

  void add(Socket& socket, const std::string& room) override;
  void remove(Socket& socket, const std::string& room) override;
  void add_socket(Socket& socket) override;
  void remove_socket(Socket& socket) override;
  void broadcast(EncodedPacket packet, std::shared_ptr<const BroadcastOptions> options) override;
  // Asks every live node and completes when all answered or after fetch_timeout (a node that
  // never created this namespace does not answer, so then it takes the whole timeout).
  void fetch_sockets(std::shared_ptr<const BroadcastOptions> options,
                     std::function<void(std::vector<SocketInfo>)> done) override;
  void sockets_join(std::shared_ptr<const BroadcastOptions> options, std::string room) override;
  void sockets_leave(std::shared_ptr<const BroadcastOptions> options, std::string room) override;
  void disconnect_sockets(std::shared_ptr<const BroadcastOptions> options, bool close_connection) override;
  size_t server_count() const override { return bus_.node_count(); }

  static bool looks_like_socket_id(std::string_view room);
  // Rooms with few members each but very many of them: a socket id, or a name starting with "#"
  // (the chat's sign-in sessions). They get no broker channel of their own (a subscription per
  // connection would be far more than the broker should carry); commands to them travel on the
  // namespace channel that every replica hears.
  static bool personal_room(std::string_view room) { return room.starts_with('#') || looks_like_socket_id(room); }

 private:
  struct PendingFetch;
  void on_message(std::string_view payload);
  void publish(const BroadcastOptions& options, ClusterEnvelope&& envelope);
  std::string room_channel(const std::string& room) const;
  void retain(const std::string& room);
  void release(const std::string& room);
  void finish_fetch(const std::shared_ptr<PendingFetch>& pending);

  LocalAdapter local_;
  ClusterBus& bus_;
  core::ShardPool& pool_;
  std::chrono::milliseconds fetch_timeout_;
  std::string prefix_;       // "dchat.io.K."
  std::string all_channel_;
  std::string node_channel_;

  std::mutex rooms_mutex_;
  std::unordered_map<std::string, size_t> local_members_;  // room -> local sockets in it

  std::mutex fetch_mutex_;
  uint64_t next_request_ = 1;
  std::unordered_map<uint64_t, std::shared_ptr<PendingFetch>> pending_;
};

}  // namespace dchat::socketio
