#pragma once
// Between the Socket.IO layer and fan-out: which sockets are in which rooms, and delivering
// one encoded packet to a set of rooms. The local adapter (local_adapter.hpp) serves one
// process; in cluster mode the ClusterAdapter (cluster_adapter.hpp) also forwards broadcasts to
// the other replicas through the ClusterBus and its Broker, so application code never changes
// when replicas are added.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "socketio/message.hpp"

namespace dchat::socketio {

class Socket;

struct BroadcastOptions {
  std::vector<std::string> rooms;   // empty: every socket of the namespace
  std::vector<std::string> except;  // rooms (or socket ids) left out
  bool is_volatile = false;         // may be dropped for clients that are behind
  bool local = false;               // this process only (matters for cluster adapters)
};

struct SocketInfo {
  std::string id;
  std::vector<std::string> rooms;
  boost::json::value data;
};

class Adapter {
 public:
  virtual ~Adapter() = default;
  // Room membership; called on the socket's own shard.
  virtual void add(Socket& socket, const std::string& room) = 0;
  virtual void remove(Socket& socket, const std::string& room) = 0;
  virtual void add_socket(Socket& socket) = 0;
  virtual void remove_socket(Socket& socket) = 0;
  // Delivers `packet` to the matching sockets; callable from any shard.
  virtual void broadcast(EncodedPacket packet, std::shared_ptr<const BroadcastOptions> options) = 0;
  // The matching sockets, delivered on the calling shard.
  virtual void fetch_sockets(std::shared_ptr<const BroadcastOptions> options,
                             std::function<void(std::vector<SocketInfo>)> done) = 0;
  // Makes the matching sockets join (or leave) `room`, wherever they are (socket.io's
  // socketsJoin/socketsLeave); callable from any shard.
  virtual void sockets_join(std::shared_ptr<const BroadcastOptions> options, std::string room) = 0;
  virtual void sockets_leave(std::shared_ptr<const BroadcastOptions> options, std::string room) = 0;
  // Disconnects the matching sockets from the namespace, wherever they are (socket.io's
  // disconnectSockets); `close_connection` also closes their connections.
  virtual void disconnect_sockets(std::shared_ptr<const BroadcastOptions> options, bool close_connection) = 0;
  virtual size_t server_count() const = 0;
};

}  // namespace dchat::socketio
