#include "socketio/cluster_bus.hpp"

#include <boost/asio/post.hpp>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include "core/random_id.hpp"

namespace dchat::socketio {

namespace {
constexpr char kHex[] = "0123456789abcdef";
}

std::string ClusterBus::channel_key(std::string_view name) {
  std::string key;
  for (char c : name) {
    if (key.size() >= 24) break;
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) key.push_back(c);
  }
  unsigned char hash[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(hash, reinterpret_cast<const unsigned char*>(name.data()), name.size());
  key.push_back('-');
  for (int i = 0; i < 8; ++i) {
    key.push_back(kHex[hash[i] >> 4]);
    key.push_back(kHex[hash[i] & 15]);
  }
  return key;
}

ClusterBus::ClusterBus(broker::Broker& broker, boost::asio::io_context& timers, Options options)
    : broker_(broker), timers_(timers), options_(std::move(options)), timer_(timers) {
  // Lower-case hex: usable inside channel names as is.
  const std::string raw = core::random_id(8);
  unsigned char hash[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(hash, reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
  for (int i = 0; i < 8; ++i) {
    node_id_.push_back(kHex[hash[i] >> 4]);
    node_id_.push_back(kHex[hash[i] & 15]);
  }
  if (options_.node_name.empty()) options_.node_name = node_id_;
}

ClusterBus::~ClusterBus() { stop(); }

void ClusterBus::route(std::string prefix, Handler handler) {
  std::lock_guard lock(mutex_);
  routes_.emplace_back(std::move(prefix), std::move(handler));
}

void ClusterBus::on_connection_change(std::function<void(bool, bool)> listener) {
  std::lock_guard lock(mutex_);
  connection_listeners_.push_back(std::move(listener));
}

void ClusterBus::on_node_down(std::function<void(const std::string&)> listener) {
  std::lock_guard lock(mutex_);
  node_down_listeners_.push_back(std::move(listener));
}

void ClusterBus::announce(std::string announcement) {
  std::lock_guard lock(mutex_);
  announcement_ = std::move(announcement);
}

void ClusterBus::on_announcement(std::function<void(const std::string&, const std::string&)> listener) {
  // What was heard before the listener came (the bus starts long before a slow store lets the
  // rest of the process start) is told to it now: announcements do not change while a node runs,
  // so they would never be told again.
  std::vector<std::pair<std::string, std::string>> heard_before;
  {
    std::lock_guard lock(mutex_);
    announcement_listeners_.push_back(listener);
    for (const auto& [node, text] : announcements_)
      if (!text.empty()) heard_before.emplace_back(node, text);
  }
  for (const auto& [node, text] : heard_before) listener(node, text);
}

void ClusterBus::start() {
  broker_.subscribe(std::string(kNodesChannel));
  broker_.start([this](std::string_view channel, std::string_view payload) { dispatch(channel, payload); },
                [this](bool up) {
                  if (stopped_) return;
                  boost::asio::post(timers_, lifeline_.guard([this, up] {
                    const bool recovered = up && ever_connected_;
                    if (up) {
                      ever_connected_ = true;
                      const auto now = std::chrono::steady_clock::now();
                      self_heard_ = now.time_since_epoch().count();
                      deaf_ = false;
                      // Everyone gets a fresh grace period: we could not hear them while down.
                      std::lock_guard lock(mutex_);
                      for (auto& [node, seen] : nodes_) seen = now;
                    }
                    // Only now: a tick in between would expire everyone by pre-outage times.
                    connected_ = up;
                    spdlog::log(up ? spdlog::level::info : spdlog::level::warn, "cluster: {} broker {}",
                                broker_.kind(), up ? (recovered ? "reconnected" : "connected") : "connection lost");
                    notify_connection(up, recovered);
                  }));
                });
  spdlog::info("cluster: node {} ({}) joining over {}", node_id_, options_.node_name, broker_.kind());
  boost::asio::post(timers_, lifeline_.guard([this] { tick(); }));
}

void ClusterBus::stop() {
  if (stopped_.exchange(true)) return;
  broker_.stop();
  // The timer's pending wait completes into a dead guard (or is dropped with the io_context).
  lifeline_.cut();
}

void ClusterBus::notify_connection(bool connected, bool recovered) {
  std::vector<std::function<void(bool, bool)>> listeners;
  {
    std::lock_guard lock(mutex_);
    listeners = connection_listeners_;
  }
  for (auto& l : listeners) l(connected, recovered);
}

size_t ClusterBus::node_count() const {
  std::lock_guard lock(mutex_);
  return nodes_.size() + 1;
}

void ClusterBus::dispatch(std::string_view channel, std::string_view payload) {
  if (stopped_) return;
  if (channel == kNodesChannel) {
    heard(payload);
    return;
  }
  Handler handler;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [prefix, h] : routes_) {
      if (channel.starts_with(prefix)) {
        handler = h;
        break;
      }
    }
  }
  if (handler) handler(channel, payload);
}

void ClusterBus::heard(std::string_view payload) {
  // "<node id> <name>", then "\n<announcement>" when the node announces something (older
  // versions do not; what follows the name is ignored by them).
  const size_t line_end = payload.find('\n');
  const std::string_view head = payload.substr(0, line_end);
  const std::string_view announcement =
      line_end == std::string_view::npos ? std::string_view{} : payload.substr(line_end + 1);
  const std::string_view node = head.substr(0, head.find(' '));
  if (node.empty()) return;
  if (node == node_id_) {
    self_heard_ = std::chrono::steady_clock::now().time_since_epoch().count();
    return;
  }
  std::vector<std::function<void(const std::string&, const std::string&)>> listeners;
  {
    std::lock_guard lock(mutex_);
    auto [it, inserted] = nodes_.try_emplace(std::string(node), std::chrono::steady_clock::now());
    if (inserted) {
      spdlog::info("cluster: node {} joined ({} nodes)", head, nodes_.size() + 1);
    } else {
      it->second = std::chrono::steady_clock::now();
    }
    auto& known = announcements_[std::string(node)];
    if (known != announcement) {
      known = announcement;
      listeners = announcement_listeners_;
    }
  }
  const std::string node_id(node), text(announcement);
  for (auto& l : listeners) l(node_id, text);
}

void ClusterBus::tick() {
  if (stopped_) return;
  std::string heartbeat = node_id_ + " " + options_.node_name;
  {
    std::lock_guard lock(mutex_);
    if (!announcement_.empty()) heartbeat += "\n" + announcement_;
  }
  broker_.publish(std::string(kNodesChannel), std::move(heartbeat));
  const auto now = std::chrono::steady_clock::now();
  const auto ttl = options_.heartbeat * options_.missed_heartbeats;
  if (connected_) {
    const auto last_self = std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(self_heard_.load()));
    const bool deaf = now - last_self > ttl;
    if (deaf != deaf_.exchange(deaf)) {
      if (deaf) {
        spdlog::warn("cluster: our own heartbeat has not come back through the {} broker for {} ms; "
                     "treating the broker as unreachable", broker_.kind(), ttl.count());
        notify_connection(false, false);
      } else {
        spdlog::info("cluster: our own heartbeat comes back through the {} broker again", broker_.kind());
        // Everyone gets a fresh grace period, and clients fetch what they may have missed.
        {
          std::lock_guard lock(mutex_);
          for (auto& [node, seen] : nodes_) seen = now;
        }
        notify_connection(true, true);
      }
    }
  }
  std::vector<std::string> gone;
  if (connected_ && !deaf_) {
    const auto deadline = now - ttl;
    std::lock_guard lock(mutex_);
    for (auto it = nodes_.begin(); it != nodes_.end();) {
      if (it->second < deadline) {
        gone.push_back(it->first);
        announcements_.erase(it->first);
        it = nodes_.erase(it);
      } else {
        ++it;
      }
    }
  }
  if (!gone.empty()) {
    std::vector<std::function<void(const std::string&)>> listeners;
    {
      std::lock_guard lock(mutex_);
      listeners = node_down_listeners_;
    }
    for (const auto& node : gone) {
      spdlog::warn("cluster: node {} is gone (no heartbeat for {} ms)", node,
                   (options_.heartbeat * options_.missed_heartbeats).count());
      for (auto& l : listeners) l(node);
    }
  }
  schedule();
}

void ClusterBus::schedule() {
  timer_.expires_after(options_.heartbeat);
  timer_.async_wait(lifeline_.guard([this](boost::system::error_code ec) {
    if (!ec) tick();
  }));
}

}  // namespace dchat::socketio
