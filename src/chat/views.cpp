#include "chat/views.hpp"

#include <algorithm>

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
  o["lastChange"] = room.last_change;
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
  o["replyTo"] = m.reply_to > 0 ? json::value(m.reply_to) : json::value(nullptr);
  if (m.quote) {
    o["quote"] = json::object{{"seq", m.quote->seq},
                              {"author", json::object{{"id", m.quote->author_id}, {"name", m.quote->author_name}}},
                              {"text", m.quote->text},
                              {"deleted", m.quote->deleted}};
  } else {
    o["quote"] = nullptr;
  }
  o["editedAt"] = m.edited_at > 0 ? json::value(m.edited_at) : json::value(nullptr);
  o["deleted"] = m.deleted_at > 0;
  o["change"] = m.change;
  json::array reactions;
  for (const auto& r : m.reactions) {
    json::array users;
    for (const auto& u : r.users) users.push_back(json::object{{"id", u.id}, {"name", u.name}});
    reactions.push_back(json::object{{"emoji", r.emoji}, {"count", r.count}, {"users", std::move(users)}});
  }
  o["reactions"] = std::move(reactions);
  json::array mentions;
  for (int64_t id : m.mentions.users) mentions.push_back(id);
  o["mentions"] = std::move(mentions);
  o["mentionsRoom"] = m.mentions.room;
  json::array attachments;
  for (const auto& a : m.attachments) attachments.push_back(attachment_json(a));
  o["attachments"] = std::move(attachments);
  return o;
}

json::object attachment_json(const store::MessageAttachment& a) {
  return json::object{{"id", a.id},
                      {"url", "/api/attachments/" + a.id},
                      {"thumbUrl", "/api/attachments/" + a.id + "/thumb"},
                      {"width", a.width},
                      {"height", a.height},
                      {"thumbWidth", a.thumb_width},
                      {"thumbHeight", a.thumb_height},
                      {"bytes", a.bytes},
                      {"type", "image/webp"}};
}

json::array messages_json(const std::vector<store::Message>& messages) {
  json::array a;
  a.reserve(messages.size());
  for (const auto& m : messages) a.push_back(message_json(m));
  return a;
}

json::object room_json(const RoomView& view) {
  json::object o = room_json(view.room, true, view.peer);
  o["readSeq"] = view.room.read_seq;
  o["mentionCount"] = view.room.mention_count;
  return o;
}

size_t message_json_weight(const store::Message& m) {
  size_t weight = 300 + 2 * (m.text.size() + m.author_name.size() + m.client_id.size());
  if (m.quote) weight += 2 * (m.quote->text.size() + m.quote->author_name.size());
  weight += 21 * m.mentions.users.size();
  weight += 260 * m.attachments.size();  // two URLs, the id three times, six numbers and the keys (~235)
  for (const auto& r : m.reactions) {
    weight += 60 + 2 * r.emoji.size();
    for (const auto& u : r.users) weight += 40 + 2 * u.name.size();
  }
  return weight;
}

size_t oldest_within(const std::vector<store::Message>& messages, size_t budget) {
  size_t count = 0;
  size_t used = 0;
  for (const auto& m : messages) {
    used += message_json_weight(m);
    if (used > budget && count > 0) break;
    ++count;
  }
  return count;
}

size_t newest_within(const std::vector<store::Message>& messages, size_t budget) {
  size_t first = messages.size();
  size_t used = 0;
  while (first > 0) {
    used += message_json_weight(messages[first - 1]);
    if (used > budget && first < messages.size()) break;
    --first;
  }
  return messages.size() - first;
}

std::string_view error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::bad_request: return "bad_request";
    case ErrorCode::invalid_text: return "invalid_text";
    case ErrorCode::invalid_name: return "invalid_name";
    case ErrorCode::not_found: return "not_found";
    case ErrorCode::forbidden: return "forbidden";
    case ErrorCode::rate_limited: return "rate_limited";
    case ErrorCode::too_many_rooms: return "too_many_rooms";
    case ErrorCode::overloaded: return "overloaded";
    case ErrorCode::storage_unavailable: return "storage_unavailable";
    case ErrorCode::edit_window_passed: return "edit_window_passed";
    case ErrorCode::too_many_reactions: return "too_many_reactions";
    case ErrorCode::too_many_attachments: return "too_many_attachments";
  }
  return "bad_request";
}

json::object refusal_json(const Refusal& refusal) {
  json::object o{{"ok", false}, {"error", error_code_name(refusal.code)}, {"message", refusal.message}};
  if (refusal.retry_after) o["retryAfterMs"] = std::max<int64_t>(refusal.retry_after->count(), 1);
  return o;
}

json::object refusal_body(const Refusal& refusal) {
  return json::object{{"error", error_code_name(refusal.code)}, {"message", refusal.message}};
}

json::object posted_ack(const Posted& posted) {
  return json::object{{"ok", true}, {"message", message_json(posted.message)}};
}

json::object changed_ack(const Changed& changed) {
  return json::object{{"ok", true}, {"message", message_json(changed.message)}};
}

json::object changed_event(const Changed& changed) {
  return json::object{{"roomId", changed.message.room_id}, {"change", changed.change},
                      {"message", message_json(changed.message)}};
}

json::object opened_ack(const Opened& opened) {
  return json::object{{"ok", true}, {"room", room_json(opened.room)}, {"messages", messages_json(opened.messages)}};
}

json::object history_ack(const std::vector<store::Message>& messages) {
  return json::object{{"ok", true}, {"messages", messages_json(messages)}};
}

json::object missed_ack(const Missed& missed) {
  // operator[]: a room asked for twice ("1" and "01") is one key, as in the request's object.
  json::object messages;
  for (const auto& [id, list] : missed.rooms) messages[std::to_string(id)] = messages_json(list);
  json::object answer{{"ok", true}, {"messages", std::move(messages)}};
  if (!missed.changed.empty()) {
    json::object changed;
    for (const auto& [id, list] : missed.changed) changed[std::to_string(id)] = messages_json(list);
    answer["changed"] = std::move(changed);
  }
  if (!missed.more.empty()) {
    json::object more;
    for (int64_t id : missed.more) more[std::to_string(id)] = true;
    answer["more"] = std::move(more);
  }
  return answer;
}

json::object ready_json(json::object user, const std::vector<RoomView>& rooms, const ChatLimits& limits) {
  json::array list;
  list.reserve(rooms.size());
  for (const auto& view : rooms) list.push_back(room_json(view));
  // What a client needs to offer only what the server will take (the Edit button, the reaction
  // picker, @room).
  json::object shown{{"editWindowMs", std::chrono::milliseconds(limits.edit_window).count()},
                     {"maxReactionKinds", limits.max_reaction_kinds},
                     {"roomMentionMaxMembers", limits.room_mention_max_members}};
  return json::object{{"user", std::move(user)}, {"rooms", std::move(list)}, {"limits", std::move(shown)}};
}

json::object found_ack(const Found& found) {
  json::array results;
  results.reserve(found.hits.size());
  for (const auto& [message, view] : found.hits) {
    // The room as a search result shows it: no membership or read position of it is implied.
    results.push_back(json::object{{"message", message_json(message)},
                                   {"room", room_json(view.room, false, view.peer)}});
  }
  json::object answer{{"ok", true}, {"results", std::move(results)}};
  answer["next"] = found.next ? json::value(*found.next) : json::value(nullptr);
  return answer;
}

json::object rooms_page_json(const RoomsPage& page) {
  json::array rooms;
  for (const auto& [room, joined] : page.public_rooms) rooms.push_back(room_json(room, joined, std::nullopt));
  for (const auto& view : page.direct) rooms.push_back(room_json(view));
  json::object body{{"rooms", std::move(rooms)}};
  body["next"] = page.next ? json::value(*page.next) : json::value(nullptr);
  return body;
}

std::string room_channel(int64_t room_id) { return "room:" + std::to_string(room_id); }
std::string user_channel(int64_t user_id) { return "user:" + std::to_string(user_id); }
std::string session_channel(const std::string& token_hash) { return "#session:" + token_hash; }

}  // namespace dchat::chat
