#include "socketio/cluster_peers.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <spdlog/spdlog.h>

#include "core/json_parse.hpp"
#include "core/log_throttle.hpp"

namespace dchat::socketio {

void ClusterPeers::start() {
  bus_.on_node_down([this](const std::string& node) { gone(node); });
  bus_.on_announcement([this](const std::string& node, const std::string& text) { heard(node, text); });
}

namespace {

// An address a replica's internal listener can have: not "any", not multicast, not link-local
// (where cloud metadata services live).
bool usable_peer_address(const boost::asio::ip::address& ip) {
  if (ip.is_unspecified() || ip.is_multicast()) return false;
  if (ip.is_v4()) return (ip.to_v4().to_uint() >> 16) != 0xA9FE;  // 169.254.0.0/16
  return !ip.to_v6().is_link_local();
}

}  // namespace

std::string ClusterPeers::announcement(const engineio::ForwardingIdentity& identity, const std::string& address,
                                       uint16_t port) {
  return boost::json::serialize(
      boost::json::object{{"tag", identity.tag}, {"addr", address}, {"port", port}, {"key", identity.key}});
}

void ClusterPeers::heard(const std::string& node, const std::string& text) {
  boost::system::error_code json_ec, address_ec;
  const auto value = core::parse_json(text, json_ec);
  const auto* object = json_ec ? nullptr : value.if_object();
  const auto field = [&](std::string_view name) -> std::string {
    const auto* v = object ? object->if_contains(name) : nullptr;
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
  };
  const std::string tag = field("tag"), address = field("addr"), key = field("key");
  const auto* port = object ? object->if_contains("port") : nullptr;
  const auto ip = boost::asio::ip::make_address(address, address_ec);
  std::lock_guard lock(mutex_);
  std::erase_if(by_tag_, [&](const auto& entry) { return entry.second.node == node; });
  if (text.empty()) return;  // a node that forwards nothing (an older version, or forwarding off)
  if (!object || address_ec || tag.size() != engineio::kSessionTagLength || key.empty() || !port || !port->is_int64() ||
      port->as_int64() <= 0 || port->as_int64() > 65535 || !usable_peer_address(ip)) {
    CHAT_LOG_THROTTLED(spdlog::level::warn, "cluster: node {} announced an unusable forwarding address", node);
    return;
  }
  // A tag is random per process: another node announcing one that a live node holds is an
  // impostor (or a bug); the first holder keeps it.
  if (const auto held = by_tag_.find(tag); held != by_tag_.end()) {
    CHAT_LOG_THROTTLED(spdlog::level::warn, "cluster: node {} announced session tag {}, which node {} holds; ignored",
                       node, tag, held->second.node);
    return;
  }
  by_tag_[tag] = Entry{node, {{ip, static_cast<uint16_t>(port->as_int64())}, key}};
  spdlog::info("cluster: node {} holds sessions tagged {} (internal listener {}:{})", node, tag, address,
               port->as_int64());
}

void ClusterPeers::gone(const std::string& node) {
  std::lock_guard lock(mutex_);
  std::erase_if(by_tag_, [&](const auto& entry) { return entry.second.node == node; });
}

std::optional<engineio::Peer> ClusterPeers::find(std::string_view tag) const {
  std::lock_guard lock(mutex_);
  const auto it = by_tag_.find(tag);
  if (it == by_tag_.end()) return std::nullopt;
  return it->second.peer;
}

size_t ClusterPeers::size() const {
  std::lock_guard lock(mutex_);
  return by_tag_.size();
}

}  // namespace dchat::socketio
