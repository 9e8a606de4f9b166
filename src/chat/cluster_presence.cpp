#include "chat/cluster_presence.hpp"

#include <boost/asio/post.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <spdlog/spdlog.h>

namespace dchat::chat {

namespace json = boost::json;

namespace {

int64_t int_field(const json::object& m, std::string_view key) {
  const auto* v = m.if_contains(key);
  if (!v) return 0;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return static_cast<int64_t>(v->as_uint64());
  return 0;
}

std::string string_field(const json::object& m, std::string_view key) {
  const auto* v = m.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

}  // namespace

ClusterPresence::ClusterPresence(socketio::ClusterBus& bus, boost::asio::io_context& timers,
                                 std::chrono::milliseconds heartbeat)
    : bus_(bus), timer_(timers), heartbeat_(heartbeat) {
  bus_.route(std::string(kChannel), [this](std::string_view, std::string_view payload) { on_message(payload); });
  bus_.on_node_down([this](const std::string& node) { drop_node(node); });
}

ClusterPresence::~ClusterPresence() { stop(); }

void ClusterPresence::start() {
  bus_.broker().subscribe(std::string(kChannel));
  boost::asio::post(timer_.get_executor(), lifeline_.guard([this] { tick(); }));
}

void ClusterPresence::tick() {
  {
    // Under the lock, like deltas: a heartbeat never overtakes a change it does not count.
    std::lock_guard lock(mutex_);
    bus_.broker().publish(std::string(kChannel),
                          json::serialize(json::object{{"t", "h"}, {"n", bus_.node_id()}, {"s", seq_}}));
  }
  timer_.expires_after(heartbeat_);
  timer_.async_wait(lifeline_.guard([this](boost::system::error_code ec) {
    if (!ec) tick();
  }));
}

// ---- local changes ----

// Called with mutex_ held, and with the local change made under the same hold: deltas leave in
// exactly the order the local state changed (publish() only queues, so holding the lock is cheap).
void ClusterPresence::publish_delta(json::object m) {
  m["s"] = ++seq_;
  m["t"] = "d";
  m["n"] = bus_.node_id();
  bus_.broker().publish(std::string(kChannel), json::serialize(m));
}

bool ClusterPresence::join(int64_t room_id, int64_t user_id, const json::object& user) {
  std::lock_guard lock(mutex_);
  if (!Presence::join(room_id, user_id, user)) return false;
  publish_delta(json::object{{"op", "join"}, {"r", room_id}, {"u", user_id}, {"user", user}});
  return !remote_has(room_id, user_id);
}

bool ClusterPresence::leave(int64_t room_id, int64_t user_id) {
  std::lock_guard lock(mutex_);
  if (!Presence::leave(room_id, user_id)) return false;
  publish_delta(json::object{{"op", "leave"}, {"r", room_id}, {"u", user_id}});
  return !remote_has(room_id, user_id);
}

void ClusterPresence::update_user(int64_t user_id, const json::object& user) {
  std::lock_guard lock(mutex_);
  Presence::update_user(user_id, user);
  for (auto& [node, state] : nodes_)
    for (auto& [room, users] : state.rooms)
      if (auto it = users.find(user_id); it != users.end()) it->second = user;
  publish_delta(json::object{{"op", "user"}, {"u", user_id}, {"user", user}});
}

json::array ClusterPresence::online(int64_t room_id) const {
  Users all = local_users(room_id);
  {
    std::lock_guard lock(mutex_);
    for (const auto& [node, state] : nodes_)
      if (auto room = state.rooms.find(room_id); room != state.rooms.end())
        for (const auto& [id, user] : room->second) all.emplace(id, user);
  }
  json::array out;
  out.reserve(all.size());
  for (auto& [id, user] : all) out.push_back(std::move(user));
  return out;
}

bool ClusterPresence::remote_has(int64_t room_id, int64_t user_id) const {
  for (const auto& [node, state] : nodes_)
    if (auto room = state.rooms.find(room_id); room != state.rooms.end() && room->second.count(user_id)) return true;
  return false;
}

std::set<int64_t> ClusterPresence::union_ids(int64_t room_id) const {
  std::set<int64_t> ids;
  for (const auto& [id, user] : local_users(room_id)) ids.insert(id);
  for (const auto& [node, state] : nodes_)
    if (auto room = state.rooms.find(room_id); room != state.rooms.end())
      for (const auto& [id, user] : room->second) ids.insert(id);
  return ids;
}

void ClusterPresence::notify(const std::set<int64_t>& rooms) {
  if (!remote_change_) return;
  for (int64_t room : rooms) remote_change_(room);
}

// ---- what the others say (broker thread) ----

void ClusterPresence::on_message(std::string_view payload) {
  boost::system::error_code ec;
  auto parsed = json::parse(payload, ec);
  if (ec || !parsed.is_object()) {
    spdlog::warn("presence: ignoring a malformed cluster message");
    return;
  }
  const auto& m = parsed.as_object();
  const std::string node = string_field(m, "n");
  if (node.empty() || node == bus_.node_id()) return;
  const std::string type = string_field(m, "t");
  if (type == "d") {
    apply_delta(node, m);
  } else if (type == "snap") {
    apply_snapshot(node, m);
  } else if (type == "q") {
    if (string_field(m, "to") == bus_.node_id()) send_snapshot();
  } else if (type == "h") {
    std::lock_guard lock(mutex_);
    auto& state = nodes_[node];
    if (!state.synced || state.seq != static_cast<uint64_t>(int_field(m, "s"))) request_snapshot(node, state);
  }
}

void ClusterPresence::request_snapshot(const std::string& node, Node& state) {
  // At most one request per heartbeat interval per node: a snapshot is on its way.
  const auto now = std::chrono::steady_clock::now();
  if (now - state.last_request < heartbeat_) return;
  state.last_request = now;
  bus_.broker().publish(std::string(kChannel),
                        json::serialize(json::object{{"t", "q"}, {"n", bus_.node_id()}, {"to", node}}));
}

void ClusterPresence::send_snapshot() {
  // The state and its seq read under one hold, so they match.
  std::lock_guard lock(mutex_);
  // Each profile once, rooms list ids: a user in many rooms costs one profile.
  json::object rooms;
  json::object users;
  for (const auto& [room_id, members] : local_snapshot()) {
    json::array ids;
    for (const auto& [id, user] : members) {
      ids.push_back(id);
      users.insert_or_assign(std::to_string(id), user);
    }
    rooms[std::to_string(room_id)] = std::move(ids);
  }
  std::string payload = json::serialize(
      json::object{{"t", "snap"}, {"n", bus_.node_id()}, {"s", seq_}, {"users", users}, {"rooms", rooms}});
  if (payload.size() > broker::kMaxPayload)
    spdlog::error("presence: this replica's snapshot ({} bytes) is larger than a broker message may be; other "
                  "replicas cannot see its users until it shrinks",
                  payload.size());
  bus_.broker().publish(std::string(kChannel), std::move(payload));
}

void ClusterPresence::apply_delta(const std::string& node, const json::object& m) {
  const auto seq = static_cast<uint64_t>(int_field(m, "s"));
  const std::string op = string_field(m, "op");
  const int64_t room_id = int_field(m, "r");
  const int64_t user_id = int_field(m, "u");
  const auto* user = m.if_contains("user");
  std::set<int64_t> changed;
  {
    std::lock_guard lock(mutex_);
    auto& state = nodes_[node];
    if (seq <= state.seq && state.synced) return;  // old news
    if (!state.synced || seq != state.seq + 1) request_snapshot(node, state);
    state.seq = seq;
    if (op == "join" && user && user->is_object()) {
      const bool before = union_ids(room_id).count(user_id) > 0;
      state.rooms[room_id][user_id] = user->as_object();
      if (!before) changed.insert(room_id);
    } else if (op == "leave") {
      auto room = state.rooms.find(room_id);
      if (room != state.rooms.end() && room->second.erase(user_id)) {
        if (room->second.empty()) state.rooms.erase(room);
        if (!union_ids(room_id).count(user_id)) changed.insert(room_id);
      }
    } else if (op == "user" && user && user->is_object()) {
      for (auto& [rid, users] : state.rooms)
        if (auto it = users.find(user_id); it != users.end()) it->second = user->as_object();
    }
  }
  notify(changed);
}

void ClusterPresence::apply_snapshot(const std::string& node, const json::object& m) {
  const auto* rooms = m.if_contains("rooms");
  const auto* users = m.if_contains("users");
  if (!rooms || !rooms->is_object() || !users || !users->is_object()) return;
  std::map<int64_t, Users> fresh;
  for (const auto& [key, list] : rooms->as_object()) {
    int64_t room_id = 0;
    try {
      room_id = std::stoll(std::string(key));
    } catch (const std::exception&) {
      continue;
    }
    if (!list.is_array()) continue;
    for (const auto& id : list.as_array()) {
      if (!id.is_int64()) continue;
      const auto* user = users->as_object().if_contains(std::to_string(id.as_int64()));
      if (user && user->is_object()) fresh[room_id][id.as_int64()] = user->as_object();
    }
  }
  std::set<int64_t> changed;
  {
    std::lock_guard lock(mutex_);
    auto& state = nodes_[node];
    std::set<int64_t> touched;
    for (const auto& [room, users] : state.rooms) touched.insert(room);
    for (const auto& [room, users] : fresh) touched.insert(room);
    std::map<int64_t, std::set<int64_t>> before;
    for (int64_t room : touched) before[room] = union_ids(room);
    state.rooms = std::move(fresh);
    state.seq = static_cast<uint64_t>(int_field(m, "s"));
    state.synced = true;
    for (int64_t room : touched)
      if (union_ids(room) != before[room]) changed.insert(room);
  }
  notify(changed);
}

void ClusterPresence::drop_node(const std::string& node) {
  std::set<int64_t> changed;
  {
    std::lock_guard lock(mutex_);
    auto it = nodes_.find(node);
    if (it == nodes_.end()) return;
    std::map<int64_t, std::set<int64_t>> before;
    for (const auto& [room, users] : it->second.rooms) before[room] = union_ids(room);
    nodes_.erase(it);
    for (const auto& [room, ids] : before)
      if (union_ids(room) != ids) changed.insert(room);
  }
  if (!changed.empty()) spdlog::info("presence: node {} is gone, {} room(s) updated", node, changed.size());
  notify(changed);
}

}  // namespace dchat::chat
