#include "chat/views.hpp"

namespace dchat::chat {

namespace json = boost::json;

json::object user_json(const store::User& user) {
  json::object o;
  o["id"] = user.id;
  o["name"] = user.name;
  o["avatar"] = user.avatar.empty() ? json::value(nullptr) : json::value("/avatars/" + user.avatar + ".webp");
  o["avatarSmall"] =
      user.avatar_small.empty() ? json::value(nullptr) : json::value("/avatars/" + user.avatar_small + ".webp");
  return o;
}

json::object room_json(const store::Room& room, bool joined, const std::optional<store::User>& peer) {
  json::object o;
  o["id"] = room.id;
  o["kind"] = room.kind == store::RoomKind::direct ? "direct" : "public";
  o["name"] = room.kind == store::RoomKind::direct && peer ? peer->name : room.name;
  o["peer"] = peer ? json::value(user_json(*peer)) : json::value(nullptr);
  o["joined"] = joined;
  o["lastSeq"] = room.last_seq;
  return o;
}

json::object message_json(const store::Message& m) {
  json::object o;
  o["id"] = m.id;
  o["roomId"] = m.room_id;
  o["seq"] = m.seq;
  o["author"] = json::object{{"id", m.author_id}, {"name", m.author_name}};
  o["text"] = m.text;
  o["createdAt"] = m.created_at;
  o["clientId"] = m.client_id;
  return o;
}

json::array messages_json(const std::vector<store::Message>& messages) {
  json::array a;
  a.reserve(messages.size());
  for (const auto& m : messages) a.push_back(message_json(m));
  return a;
}

size_t message_json_weight(const store::Message& m) {
  return 160 + 2 * (m.text.size() + m.author_name.size() + m.client_id.size());
}

json::array messages_json_within(const std::vector<store::Message>& messages, size_t budget, bool& truncated) {
  json::array a;
  size_t used = 0;
  truncated = false;
  for (const auto& m : messages) {
    used += message_json_weight(m);
    if (used > budget && !a.empty()) {
      truncated = true;
      break;
    }
    a.push_back(message_json(m));
  }
  return a;
}

json::array newest_messages_json_within(const std::vector<store::Message>& messages, size_t budget,
                                        bool& truncated) {
  size_t first = messages.size();
  size_t used = 0;
  while (first > 0) {
    used += message_json_weight(messages[first - 1]);
    if (used > budget && first < messages.size()) break;
    --first;
  }
  truncated = first > 0;
  json::array a;
  a.reserve(messages.size() - first);
  for (size_t i = first; i < messages.size(); ++i) a.push_back(message_json(messages[i]));
  return a;
}

json::object error_json(std::string_view code, std::string_view message) {
  return json::object{{"ok", false}, {"error", code}, {"message", message}};
}

std::string room_channel(int64_t room_id) { return "room:" + std::to_string(room_id); }
std::string user_channel(int64_t user_id) { return "user:" + std::to_string(user_id); }
std::string session_channel(const std::string& token_hash) { return "#session:" + token_hash; }

}  // namespace dchat::chat
