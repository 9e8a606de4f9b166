#include "socketio/cluster_adapter.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <spdlog/spdlog.h>

#include "socketio/socket.hpp"

namespace dchat::socketio {

struct ClusterAdapter::PendingFetch {
  uint64_t id = 0;
  size_t origin_shard = 0;
  std::mutex mutex;
  std::vector<SocketInfo> found;
  size_t replies_missing = 0;  // other nodes that have not answered
  bool local_done = false;
  bool finished = false;
  std::unique_ptr<boost::asio::steady_timer> timer;
  std::function<void(std::vector<SocketInfo>)> done;
};

ClusterAdapter::ClusterAdapter(const std::string& nsp, ClusterBus& bus, core::ShardPool& pool,
                               std::chrono::milliseconds fetch_timeout)
    : local_(pool), bus_(bus), pool_(pool), fetch_timeout_(fetch_timeout) {
  prefix_ = "dchat.io." + ClusterBus::channel_key(nsp) + ".";
  all_channel_ = prefix_ + "all";
  node_channel_ = prefix_ + "n." + bus_.node_id();
  bus_.route(prefix_, [this](std::string_view, std::string_view payload) { on_message(payload); });
  bus_.broker().subscribe(all_channel_);
  bus_.broker().subscribe(node_channel_);
}

bool ClusterAdapter::looks_like_socket_id(std::string_view room) {
  if (room.size() != 20) return false;
  for (char c : room) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::string ClusterAdapter::room_channel(const std::string& room) const {
  return prefix_ + "r." + ClusterBus::channel_key(room);
}

// ---- membership: subscribe to a room's channel while a local socket is in it ----

void ClusterAdapter::retain(const std::string& room) {
  if (personal_room(room)) return;
  std::lock_guard lock(rooms_mutex_);
  if (++local_members_[room] == 1) bus_.broker().subscribe(room_channel(room));
}

void ClusterAdapter::release(const std::string& room) {
  if (personal_room(room)) return;
  std::lock_guard lock(rooms_mutex_);
  auto it = local_members_.find(room);
  if (it == local_members_.end()) return;
  if (--it->second == 0) {
    local_members_.erase(it);
    bus_.broker().unsubscribe(room_channel(room));
  }
}

// Counted by what the local tables really hold, so a leave before the socket finished
// connecting (no add happened) or a repeated call cannot make the count drift.
void ClusterAdapter::add(Socket& socket, const std::string& room) {
  if (room == socket.id() || local_.has_member(socket, room)) return;
  local_.add(socket, room);
  retain(room);
}

void ClusterAdapter::remove(Socket& socket, const std::string& room) {
  if (!local_.has_member(socket, room)) return;
  local_.remove(socket, room);
  release(room);
}

void ClusterAdapter::add_socket(Socket& socket) {
  std::vector<std::string> fresh;
  for (const auto& room : socket.rooms())
    if (room != socket.id() && !local_.has_member(socket, room)) fresh.push_back(room);
  local_.add_socket(socket);
  for (const auto& room : fresh) retain(room);
}

void ClusterAdapter::remove_socket(Socket& socket) {
  std::vector<std::string> held;
  for (const auto& room : socket.rooms())
    if (local_.has_member(socket, room)) held.push_back(room);
  local_.remove_socket(socket);
  for (const auto& room : held) release(room);
}

// ---- outbound ----

void ClusterAdapter::publish(const BroadcastOptions& options, ClusterEnvelope&& envelope) {
  envelope.origin = bus_.node_id();
  const bool one_room = options.rooms.size() == 1 && !personal_room(options.rooms.front());
  bus_.broker().publish(one_room ? room_channel(options.rooms.front()) : all_channel_, encode_envelope(envelope));
}

void ClusterAdapter::broadcast(EncodedPacket packet, std::shared_ptr<const BroadcastOptions> options) {
  if (!options->local) {
    ClusterEnvelope e;
    e.type = ClusterEnvelope::Type::broadcast;
    e.is_volatile = options->is_volatile;
    e.rooms = options->rooms;
    e.except = options->except;
    e.frames.reserve(packet->size());
    for (const auto& frame : *packet) e.frames.push_back({frame->binary(), frame->data()});
    publish(*options, std::move(e));
  }
  local_.broadcast(std::move(packet), std::move(options));
}

void ClusterAdapter::sockets_join(std::shared_ptr<const BroadcastOptions> options, std::string room) {
  if (!options->local) {
    ClusterEnvelope e;
    e.type = ClusterEnvelope::Type::sockets_join;
    e.rooms = options->rooms;
    e.except = options->except;
    e.room = room;
    publish(*options, std::move(e));
  }
  local_.sockets_join(std::move(options), std::move(room));
}

void ClusterAdapter::sockets_leave(std::shared_ptr<const BroadcastOptions> options, std::string room) {
  if (!options->local) {
    ClusterEnvelope e;
    e.type = ClusterEnvelope::Type::sockets_leave;
    e.rooms = options->rooms;
    e.except = options->except;
    e.room = room;
    publish(*options, std::move(e));
  }
  local_.sockets_leave(std::move(options), std::move(room));
}

void ClusterAdapter::disconnect_sockets(std::shared_ptr<const BroadcastOptions> options, bool close_connection) {
  if (!options->local) {
    ClusterEnvelope e;
    e.type = ClusterEnvelope::Type::disconnect_sockets;
    e.rooms = options->rooms;
    e.except = options->except;
    e.close_connection = close_connection;
    publish(*options, std::move(e));
  }
  local_.disconnect_sockets(std::move(options), close_connection);
}

void ClusterAdapter::fetch_sockets(std::shared_ptr<const BroadcastOptions> options,
                                   std::function<void(std::vector<SocketInfo>)> done) {
  const size_t shard = core::ShardPool::current() == core::ShardPool::kNoShard ? 0 : core::ShardPool::current();
  auto pending = std::make_shared<PendingFetch>();
  pending->origin_shard = shard;
  pending->done = std::move(done);
  pending->replies_missing = options->local ? 0 : bus_.node_count() - 1;
  pending->timer = std::make_unique<boost::asio::steady_timer>(pool_.context(shard), fetch_timeout_);
  if (pending->replies_missing > 0) {
    {
      std::lock_guard lock(fetch_mutex_);
      pending->id = next_request_++;
      pending_[pending->id] = pending;
    }
    ClusterEnvelope e;
    e.type = ClusterEnvelope::Type::fetch_request;
    e.request_id = pending->id;
    e.rooms = options->rooms;
    e.except = options->except;
    e.origin = bus_.node_id();
    // Requests always go to every node: how many answers to wait for must be known.
    bus_.broker().publish(all_channel_, encode_envelope(e));
    pending->timer->async_wait([this, pending](boost::system::error_code ec) {
      if (ec) return;
      spdlog::warn("cluster: fetch_sockets timed out with {} node(s) silent", pending->replies_missing);
      finish_fetch(pending);
    });
  }
  local_.fetch_sockets(options, [this, pending](std::vector<SocketInfo> mine) {
    {
      std::lock_guard lock(pending->mutex);
      for (auto& s : mine) pending->found.push_back(std::move(s));
      pending->local_done = true;
      if (pending->replies_missing > 0) return;
    }
    finish_fetch(pending);
  });
}

// Runs on the origin shard; completes once.
void ClusterAdapter::finish_fetch(const std::shared_ptr<PendingFetch>& pending) {
  std::vector<SocketInfo> result;
  {
    std::lock_guard lock(pending->mutex);
    if (pending->finished || !pending->local_done) {
      // Timed out before the local part: it completes when the local part arrives.
      if (!pending->local_done) pending->replies_missing = 0;
      return;
    }
    pending->finished = true;
    result = std::move(pending->found);
  }
  {
    std::lock_guard lock(fetch_mutex_);
    pending_.erase(pending->id);
  }
  pending->timer->cancel();
  pending->done(std::move(result));
}

// ---- inbound (broker thread) ----

void ClusterAdapter::on_message(std::string_view payload) {
  auto decoded = decode_envelope(payload);
  if (!decoded) {
    spdlog::warn("cluster: ignoring a malformed message ({} bytes)", payload.size());
    return;
  }
  ClusterEnvelope& e = *decoded;
  if (e.origin == bus_.node_id()) return;  // our own publish, already delivered locally
  auto options = std::make_shared<BroadcastOptions>();
  options->rooms = std::move(e.rooms);
  options->except = std::move(e.except);
  options->is_volatile = e.is_volatile;
  options->local = true;
  switch (e.type) {
    case ClusterEnvelope::Type::broadcast: {
      auto frames = std::make_shared<std::vector<engineio::WirePacketPtr>>();
      frames->reserve(e.frames.size());
      for (auto& f : e.frames) frames->push_back(std::make_shared<engineio::WirePacket>(f.binary, std::move(f.data)));
      local_.broadcast(std::move(frames), std::move(options));
      break;
    }
    case ClusterEnvelope::Type::sockets_join:
      local_.sockets_join(std::move(options), std::move(e.room));
      break;
    case ClusterEnvelope::Type::sockets_leave:
      local_.sockets_leave(std::move(options), std::move(e.room));
      break;
    case ClusterEnvelope::Type::disconnect_sockets:
      local_.disconnect_sockets(std::move(options), e.close_connection);
      break;
    case ClusterEnvelope::Type::fetch_request: {
      const std::string reply_to = prefix_ + "n." + e.origin;
      const uint64_t request = e.request_id;
      local_.fetch_sockets(options, [this, reply_to, request](std::vector<SocketInfo> mine) {
        ClusterEnvelope r;
        r.type = ClusterEnvelope::Type::fetch_reply;
        r.origin = bus_.node_id();
        r.request_id = request;
        for (auto& s : mine) r.sockets.push_back({std::move(s.id), std::move(s.rooms), boost::json::serialize(s.data)});
        bus_.broker().publish(reply_to, encode_envelope(r));
      });
      break;
    }
    case ClusterEnvelope::Type::fetch_reply: {
      std::shared_ptr<PendingFetch> pending;
      {
        std::lock_guard lock(fetch_mutex_);
        auto it = pending_.find(e.request_id);
        if (it == pending_.end()) return;  // late reply after a timeout
        pending = it->second;
      }
      bool complete = false;
      {
        std::lock_guard lock(pending->mutex);
        if (pending->finished) return;
        for (auto& s : e.sockets) {
          boost::system::error_code ec;
          auto data = boost::json::parse(s.data_json, ec);
          pending->found.push_back({std::move(s.id), std::move(s.rooms), ec ? boost::json::value() : std::move(data)});
        }
        if (pending->replies_missing > 0) --pending->replies_missing;
        complete = pending->replies_missing == 0 && pending->local_done;
      }
      if (complete)
        boost::asio::post(pool_.context(pending->origin_shard), [this, pending] { finish_fetch(pending); });
      break;
    }
  }
}

}  // namespace dchat::socketio
