#include "socketio/local_adapter.hpp"

#include <boost/asio/post.hpp>

#include <atomic>
#include <mutex>

#include "socketio/socket.hpp"

namespace dchat::socketio {

LocalAdapter::LocalAdapter(core::ShardPool& pool) : pool_(pool), shards_(pool.size()) {}

LocalAdapter::ShardState& LocalAdapter::here() {
  const size_t shard = core::ShardPool::current();
  return shards_[shard == core::ShardPool::kNoShard ? 0 : shard];
}

bool LocalAdapter::has_member(Socket& socket, const std::string& room) {
  auto& rooms = here().rooms;
  auto it = rooms.find(room);
  return it != rooms.end() && it->second.count(&socket) > 0;
}

void LocalAdapter::add(Socket& socket, const std::string& room) {
  if (room == socket.id()) return;
  here().rooms[room].insert(&socket);
}

void LocalAdapter::remove(Socket& socket, const std::string& room) {
  auto& rooms = here().rooms;
  auto it = rooms.find(room);
  if (it == rooms.end()) return;
  it->second.erase(&socket);
  if (it->second.empty()) rooms.erase(it);
}

void LocalAdapter::add_socket(Socket& socket) {
  auto& state = here();
  state.sockets.emplace(socket.id(), &socket);
  for (const auto& room : socket.rooms()) state.rooms[room].insert(&socket);  // joined while connecting
}

void LocalAdapter::remove_socket(Socket& socket) {
  auto& state = here();
  for (const auto& room : socket.rooms()) {
    auto it = state.rooms.find(room);
    if (it == state.rooms.end()) continue;
    it->second.erase(&socket);
    if (it->second.empty()) state.rooms.erase(it);
  }
  state.sockets.erase(socket.id());
}

template <typename Visit>
void LocalAdapter::for_each_match(ShardState& state, const BroadcastOptions& options, Visit&& visit) {
  // Members of a room, or the socket whose id the room name is.
  auto for_room = [&state](const std::string& room, auto&& fn) {
    if (auto it = state.rooms.find(room); it != state.rooms.end()) {
      for (Socket* s : it->second) fn(s);
    } else if (auto sit = state.sockets.find(room); sit != state.sockets.end()) {
      fn(sit->second);
    }
  };
  thread_local std::unordered_set<Socket*> excluded;
  thread_local std::unordered_set<Socket*> seen;
  excluded.clear();
  for (const auto& room : options.except) for_room(room, [](Socket* s) { excluded.insert(s); });
  auto pass = [&](Socket* s) {
    if (excluded.empty() || !excluded.count(s)) visit(s);
  };
  if (options.rooms.empty()) {
    for (auto& [id, s] : state.sockets) pass(s);
  } else if (options.rooms.size() == 1) {
    for_room(options.rooms.front(), pass);
  } else {
    seen.clear();
    for (const auto& room : options.rooms)
      for_room(room, [&](Socket* s) {
        if (seen.insert(s).second) pass(s);
      });
  }
}

void LocalAdapter::deliver_here(const EncodedPacket& packet, const BroadcastOptions& options) {
  for_each_match(here(), options, [&](Socket* s) { s->send_encoded(*packet, options.is_volatile); });
}

void LocalAdapter::broadcast(EncodedPacket packet, std::shared_ptr<const BroadcastOptions> options) {
  const size_t current = core::ShardPool::current();
  for (size_t shard = 0; shard < shards_.size(); ++shard) {
    if (shard == current) continue;
    boost::asio::post(pool_.context(shard), [this, packet, options] { deliver_here(packet, *options); });
  }
  if (current != core::ShardPool::kNoShard) deliver_here(packet, *options);
}

void LocalAdapter::on_every_shard(std::shared_ptr<const BroadcastOptions> options, std::function<void(Socket&)> fn) {
  for (size_t shard = 0; shard < shards_.size(); ++shard) {
    boost::asio::post(pool_.context(shard), [this, options, fn] {
      // Collected first: joining changes the room tables being walked.
      std::vector<Socket*> matches;
      for_each_match(here(), *options, [&](Socket* s) { matches.push_back(s); });
      for (Socket* s : matches) fn(*s);
    });
  }
}

void LocalAdapter::sockets_join(std::shared_ptr<const BroadcastOptions> options, std::string room) {
  on_every_shard(std::move(options), [room = std::move(room)](Socket& s) { s.join(room); });
}

void LocalAdapter::sockets_leave(std::shared_ptr<const BroadcastOptions> options, std::string room) {
  on_every_shard(std::move(options), [room = std::move(room)](Socket& s) { s.leave(room); });
}

void LocalAdapter::fetch_sockets(std::shared_ptr<const BroadcastOptions> options,
                                 std::function<void(std::vector<SocketInfo>)> done) {
  struct Gather {
    std::mutex mutex;
    std::vector<SocketInfo> found;
    std::atomic<size_t> remaining;
    size_t origin;
    std::function<void(std::vector<SocketInfo>)> done;
  };
  const size_t origin = core::ShardPool::current() == core::ShardPool::kNoShard ? 0 : core::ShardPool::current();
  auto gather = std::make_shared<Gather>();
  gather->remaining = shards_.size();
  gather->origin = origin;
  gather->done = std::move(done);
  for (size_t shard = 0; shard < shards_.size(); ++shard) {
    boost::asio::post(pool_.context(shard), [this, gather, options] {
      std::vector<SocketInfo> mine;
      for_each_match(here(), *options, [&](Socket* s) { mine.push_back({s->id(), s->rooms(), s->data}); });
      {
        std::lock_guard lock(gather->mutex);
        for (auto& info : mine) gather->found.push_back(std::move(info));
      }
      if (--gather->remaining == 0) {
        boost::asio::post(pool_.context(gather->origin), [gather] { gather->done(std::move(gather->found)); });
      }
    });
  }
}

}  // namespace dchat::socketio
