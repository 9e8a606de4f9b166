#include "socketio/local_adapter.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>
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

namespace {

// Scratch space for one walk over a shard's room tables. Walks nest (a broadcast started while
// another one's recipients are being served, e.g. a presence update from a disconnect handler),
// so each nesting level gets its own instead of clobbering a shared one.
struct WalkScratch {
  std::vector<Socket*> matches;
  std::vector<Socket*> excluded;  // sorted
};
thread_local std::vector<std::unique_ptr<WalkScratch>> t_walks;
thread_local size_t t_walk_depth = 0;

class WalkLease {
 public:
  WalkLease() {
    if (t_walks.size() <= t_walk_depth) t_walks.push_back(std::make_unique<WalkScratch>());
    scratch_ = t_walks[t_walk_depth++].get();
    scratch_->matches.clear();
    scratch_->excluded.clear();
  }
  ~WalkLease() {
    --t_walk_depth;
    // A walk over a huge room should not pin its capacity on the thread forever.
    if (scratch_->matches.capacity() > 65536) std::vector<Socket*>().swap(scratch_->matches);
    if (scratch_->excluded.capacity() > 65536) std::vector<Socket*>().swap(scratch_->excluded);
  }
  WalkLease(const WalkLease&) = delete;
  WalkLease& operator=(const WalkLease&) = delete;
  WalkScratch& operator*() const noexcept { return *scratch_; }
  WalkScratch* operator->() const noexcept { return scratch_; }

 private:
  WalkScratch* scratch_;
};

}  // namespace

// Only reads the tables and appends to `out`: nothing is called back while a table is walked,
// so whatever serving a recipient does later (leave rooms, disconnect, broadcast again) cannot
// invalidate the walk.
void LocalAdapter::collect(ShardState& state, const BroadcastOptions& options, std::vector<Socket*>& out,
                           std::vector<Socket*>& excluded) {
  // Members of a room, or the socket whose id the room name is.
  auto for_room = [&state](const std::string& room, std::vector<Socket*>& into) {
    if (auto it = state.rooms.find(room); it != state.rooms.end()) {
      into.insert(into.end(), it->second.begin(), it->second.end());
    } else if (auto sit = state.sockets.find(room); sit != state.sockets.end()) {
      into.push_back(sit->second);
    }
  };
  for (const auto& room : options.except) for_room(room, excluded);
  std::sort(excluded.begin(), excluded.end());
  const size_t first = out.size();
  if (options.rooms.empty()) {
    out.reserve(first + state.sockets.size());
    for (auto& [id, s] : state.sockets) out.push_back(s);
  } else {
    for (const auto& room : options.rooms) for_room(room, out);
    if (options.rooms.size() > 1) {
      // A socket in two of the rooms gets the packet once.
      std::sort(out.begin() + static_cast<std::ptrdiff_t>(first), out.end());
      out.erase(std::unique(out.begin() + static_cast<std::ptrdiff_t>(first), out.end()), out.end());
    }
  }
  if (!excluded.empty()) {
    out.erase(std::remove_if(out.begin() + static_cast<std::ptrdiff_t>(first), out.end(),
                             [&](Socket* s) { return std::binary_search(excluded.begin(), excluded.end(), s); }),
              out.end());
  }
}

void LocalAdapter::deliver_here(const EncodedPacket& packet, const BroadcastOptions& options) {
  WalkLease walk;
  collect(here(), options, walk->matches, walk->excluded);
  // Sockets are owned by their Client and only released when their session closes, which never
  // happens synchronously inside a send (Session::overflow), so every pointer stays valid here.
  for (Socket* s : walk->matches) s->send_encoded(*packet, options.is_volatile);
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
      // Collected first: joining (or disconnecting) changes the room tables being walked. Held
      // by shared_ptr: a disconnect may release a socket while later ones are still served.
      std::vector<Socket*> matches, excluded;
      collect(here(), *options, matches, excluded);
      std::vector<std::shared_ptr<Socket>> held;
      held.reserve(matches.size());
      for (Socket* s : matches) held.push_back(s->shared_from_this());
      for (auto& s : held) fn(*s);
    });
  }
}

void LocalAdapter::sockets_join(std::shared_ptr<const BroadcastOptions> options, std::string room) {
  on_every_shard(std::move(options), [room = std::move(room)](Socket& s) { s.join(room); });
}

void LocalAdapter::sockets_leave(std::shared_ptr<const BroadcastOptions> options, std::string room) {
  on_every_shard(std::move(options), [room = std::move(room)](Socket& s) { s.leave(room); });
}

void LocalAdapter::disconnect_sockets(std::shared_ptr<const BroadcastOptions> options, bool close_connection) {
  on_every_shard(std::move(options), [close_connection](Socket& s) { s.disconnect(close_connection); });
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
      std::vector<Socket*> matches, excluded;
      collect(here(), *options, matches, excluded);
      for (Socket* s : matches)
        mine.push_back({s->id(), std::vector<std::string>(s->rooms().begin(), s->rooms().end()), s->data});
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
