#pragma once
// The in-process adapter: room tables kept per shard (each touched only by its own thread);
// a broadcast is encoded once and posted as one shared reference to every other shard.
#include <unordered_map>
#include <unordered_set>

#include "core/shard_pool.hpp"
#include "socketio/adapter.hpp"

namespace dchat::socketio {

class LocalAdapter : public Adapter {
 public:
  explicit LocalAdapter(core::ShardPool& pool);

  void add(Socket& socket, const std::string& room) override;
  void remove(Socket& socket, const std::string& room) override;
  void add_socket(Socket& socket) override;
  void remove_socket(Socket& socket) override;
  void broadcast(EncodedPacket packet, std::shared_ptr<const BroadcastOptions> options) override;
  void fetch_sockets(std::shared_ptr<const BroadcastOptions> options,
                     std::function<void(std::vector<SocketInfo>)> done) override;
  void sockets_join(std::shared_ptr<const BroadcastOptions> options, std::string room) override;
  void sockets_leave(std::shared_ptr<const BroadcastOptions> options, std::string room) override;
  void disconnect_sockets(std::shared_ptr<const BroadcastOptions> options, bool close_connection) override;
  size_t server_count() const override { return 1; }

  // Whether `socket` is in `room` (its own shard's table; call on the socket's shard).
  bool has_member(Socket& socket, const std::string& room);

  // Delivers to the sockets of the calling shard only.
  void deliver_here(const EncodedPacket& packet, const BroadcastOptions& options);

 private:
  struct ShardState {
    // A socket's own id is not stored as a room: `sockets` answers for it, saving a map
    // entry per connection.
    std::unordered_map<std::string, std::unordered_set<Socket*>> rooms;
    std::unordered_map<std::string, Socket*> sockets;
  };
  ShardState& here();
  // Runs fn(socket) for the matching sockets on every shard (on each shard's thread).
  void on_every_shard(std::shared_ptr<const BroadcastOptions> options, std::function<void(Socket&)> fn);
  // Appends the sockets of `state` that `options` selects to `out` (`excluded` is scratch space).
  static void collect(ShardState& state, const BroadcastOptions& options, std::vector<Socket*>& out,
                      std::vector<Socket*>& excluded);

  core::ShardPool& pool_;
  std::vector<ShardState> shards_;
};

}  // namespace dchat::socketio
