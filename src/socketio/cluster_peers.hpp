#pragma once
// The other replicas as session forwarding sees them (engineio/forwarding.hpp): each announces,
// with its cluster heartbeat, its session tag, the address and port of its internal listener and
// its forward key; a replica that stops sending heartbeats is dropped with the bus's node table.
// So a replica only ever forwards to addresses announced on its own broker: the broker is the
// cluster's trust domain, as it already is for every message between replicas.
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "engineio/forwarding.hpp"
#include "socketio/cluster_bus.hpp"

namespace dchat::socketio {

class ClusterPeers : public engineio::PeerDirectory {
 public:
  explicit ClusterPeers(ClusterBus& bus) : bus_(bus) {}
  // Listens on the bus from now on (and takes in what it heard before); the bus must be stopped
  // before this object goes (it owns the listeners).
  void start();

  // What this replica announces (its internal listener at `address`:`port`).
  static std::string announcement(const engineio::ForwardingIdentity& identity, const std::string& address,
                                  uint16_t port);

  std::optional<engineio::Peer> find(std::string_view tag) const override;
  size_t size() const;

 private:
  void heard(const std::string& node, const std::string& announcement);
  void gone(const std::string& node);

  struct Entry {
    std::string node;
    engineio::Peer peer;
  };
  ClusterBus& bus_;
  mutable std::mutex mutex_;
  std::map<std::string, Entry, std::less<>> by_tag_;
};

}  // namespace dchat::socketio
