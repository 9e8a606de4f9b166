#include "chat/chat_queries.hpp"

#include <algorithm>
#include <unordered_set>

#include "chat/mention_rules.hpp"
#include "chat/message_rules.hpp"
#include "chat/views.hpp"

namespace dchat::chat {

using store::Room;
using store::RoomKind;
using store::Store;

namespace {

Refusal refuse(ErrorCode code, std::string message) { return Refusal{code, std::move(message), std::nullopt}; }

Refusal too_many_rooms() {
  return refuse(ErrorCode::too_many_rooms, "you are in too many rooms: leave one first");
}

// Whether `user` may read `room`: public rooms are open to every signed-in user, direct
// conversations only to their two members.
bool may_read(Store& s, const Room& room, int64_t user) {
  return room.kind == RoomKind::public_room || s.is_member(room.id, user);
}

std::optional<store::User> peer_of(Store& s, const Room& room, int64_t user) {
  if (room.kind != RoomKind::direct) return std::nullopt;
  for (int64_t member : room.direct_members)
    if (member != user) return s.find_user(member);
  return std::nullopt;
}

// The newest page of the room, as much of it as fits half the answer's budget (the other half is
// for what arrives while the socket joins the room: see ChatService::complete_join).
std::vector<store::Message> newest_page(Store& s, int64_t room, const ChatLimits& limits) {
  auto messages = s.messages_before(room, 0, kHistoryPage);
  messages.erase(messages.begin(), messages.end() - newest_within(messages, limits.answer_budget / 2));
  return messages;
}

// The room a join asks for, or the refusal; nullopt room with no refusal: a name that is free.
ChatResult<std::optional<Room>> room_to_join(Store& s, int64_t user, const JoinRequest& request,
                                             const ChatLimits& limits, int64_t now) {
  if (!request.name) return s.find_room(*request.room_id);
  auto room = s.find_public_room(*request.name);
  // Creating a room: limited per user per hour (cluster-wide: counted in the store).
  if (!room && s.count_rooms_created(user, now - 3600 * 1000) >= limits.room_creations_per_hour)
    return Refusal{ErrorCode::rate_limited, "you have created too many rooms lately, join an existing one",
                   std::chrono::minutes(10)};
  return room;
}

}  // namespace

std::vector<RoomView> rooms_on_connect(Store& s, int64_t user, int64_t now) {
  // Everyone is in "general", as in the original.
  auto general = s.ensure_public_room("general", 0, now);
  if (!s.is_member(general.id, user)) s.add_member(general.id, user, now);
  std::vector<RoomView> rooms;
  for (auto& room : s.rooms_of(user)) {
    auto peer = peer_of(s, room, user);
    rooms.push_back(RoomView{std::move(room), std::move(peer)});
  }
  return rooms;
}

ChatResult<Posted> posted_from(store::AppendOutcome&& outcome, int64_t room) {
  using Status = store::AppendOutcome::Status;
  switch (outcome.status) {
    case Status::no_room:
      return refuse(ErrorCode::not_found, "no such room");
    case Status::not_member:
      return refuse(ErrorCode::forbidden, "you are not a member of this room");
    case Status::no_reply_target:
      return refuse(ErrorCode::not_found, "the message replied to does not exist");
    case Status::no_attachment:
      return refuse(ErrorCode::not_found, "no such attachment (it may have expired)");
    case Status::attachment_unusable:
      return refuse(ErrorCode::bad_request, "an attachment was uploaded to another room or is already sent");
    case Status::duplicate:
      // Idempotency keys are per author: the same key reused for another room is a client bug.
      if (outcome.message.room_id != room)
        return refuse(ErrorCode::bad_request, "this clientId was already used for another message");
      return Posted{std::move(outcome.message), true};
    case Status::stored:
      break;
  }
  return Posted{std::move(outcome.message), false};
}

ChatResult<Posted> post_message(Store& s, int64_t user, int64_t room, const std::string& text,
                                const std::string& client_id, int64_t now, int64_t reply_to) {
  auto outcomes = s.append_messages({store::AppendRequest{room, user, text, client_id, now, reply_to, mentions_in(text)}});
  return posted_from(std::move(outcomes.front()), room);
}

ChatResult<Opened> join_room(Store& s, int64_t user, const JoinRequest& request, const ChatLimits& limits,
                             int64_t now) {
  auto found = room_to_join(s, user, request, limits, now);
  if (!found) return found.error();
  std::optional<Room> room = std::move(*found);
  if (room && room->kind == RoomKind::direct) {
    if (!s.is_member(room->id, user)) return refuse(ErrorCode::forbidden, "this conversation is private");
  } else if (!room || !s.is_member(room->id, user)) {
    if (!room && !request.name) return refuse(ErrorCode::not_found, "no such room");
    if (s.rooms_of(user).size() >= limits.max_rooms_per_user) return too_many_rooms();
    if (!room) room = s.ensure_public_room(*request.name, user, now);
    s.add_member(room->id, user, now);
  }
  auto messages = newest_page(s, room->id, limits);
  auto peer = peer_of(s, *room, user);
  room->read_seq = s.read_position(room->id, user).value_or(0);
  room->mention_count = s.unread_mentions(room->id, user);
  return Opened{RoomView{std::move(*room), std::move(peer)}, std::move(messages)};
}

ChatResult<DirectOpened> open_direct(Store& s, int64_t user, const std::string& peer_name, const ChatLimits& limits,
                                     int64_t now) {
  auto peer = s.find_user_by_name(peer_name);
  if (!peer) return refuse(ErrorCode::not_found, "no user with that name");
  if (peer->id == user) return refuse(ErrorCode::bad_request, "a conversation needs two people");
  const auto mine = s.rooms_of(user);
  const bool exists = std::any_of(mine.begin(), mine.end(), [&](const Room& r) {
    return r.kind == RoomKind::direct &&
           std::find(r.direct_members.begin(), r.direct_members.end(), peer->id) != r.direct_members.end();
  });
  if (!exists && mine.size() >= limits.max_rooms_per_user) return too_many_rooms();
  auto room = s.direct_room(user, peer->id, now);
  auto me = s.find_user(user);
  auto messages = newest_page(s, room.id, limits);
  const int64_t peer_id = peer->id;
  // Each of the two sees the room with their own read position.
  Room for_peer = room;
  for_peer.read_seq = s.read_position(room.id, peer_id).value_or(0);
  for_peer.mention_count = s.unread_mentions(room.id, peer_id);
  room.read_seq = s.read_position(room.id, user).value_or(0);
  room.mention_count = s.unread_mentions(room.id, user);
  return DirectOpened{Opened{RoomView{std::move(room), std::move(peer)}, std::move(messages)}, peer_id,
                      RoomView{std::move(for_peer), std::move(me)}};
}

ChatResult<void> leave_room(Store& s, int64_t user, int64_t room) {
  auto found = s.find_room(room);
  if (!found) return refuse(ErrorCode::not_found, "no such room");
  if (found->kind == RoomKind::public_room) s.remove_member(room, user);
  return {};
}

ChatResult<std::vector<store::User>> members_named(Store& s, int64_t user, int64_t room, const std::string& key_prefix,
                                                   int limit) {
  auto found = s.find_room(room);
  if (!found) return refuse(ErrorCode::not_found, "no such room");
  // Members only, of public rooms too: who is in which room is not for everyone to list (everyone
  // is in "general", so it would list every account).
  if (!s.is_member(room, user))
    return refuse(ErrorCode::forbidden, found->kind == RoomKind::direct ? "this conversation is private"
                                                                         : "you are not a member of this room");
  return s.members_named(room, key_prefix, limit);
}

ChatResult<std::vector<store::Message>> read_page(Store& s, int64_t user, int64_t room, int64_t before_seq,
                                                  int limit) {
  auto found = s.find_room(room);
  if (!found) return refuse(ErrorCode::not_found, "no such room");
  if (!may_read(s, *found, user)) return refuse(ErrorCode::forbidden, "this conversation is private");
  return s.messages_before(room, before_seq, limit);
}

namespace {

// Keeps the first messages that fit in `left` bytes (at least one), takes what they weigh from
// `left`, and says whether all of them fit and the store had no more (read < limit).
bool keep_fitting(std::vector<store::Message>& messages, size_t& left) {
  const bool read_all = messages.size() < static_cast<size_t>(kCatchUpPage);
  const size_t fitting = oldest_within(messages, left);
  size_t used = 0;
  for (size_t i = 0; i < fitting; ++i) used += message_json_weight(messages[i]);
  left = used >= left ? 0 : left - used;
  const bool complete = fitting == messages.size() && read_all;
  messages.resize(fitting);
  return complete;
}

}  // namespace

Missed read_missed(Store& s, int64_t user, const std::vector<SyncPosition>& wanted, size_t budget) {
  // Every room gets what fits of the answer's byte budget, in the order asked; a room cut short
  // (or not reached) is listed in `more`, and the client asks again from the newest seq and
  // change it got. So an answer is never too big to send, however much was missed.
  Missed missed;
  size_t left = budget;
  for (const SyncPosition& at : wanted) {
    if (left == 0) {
      missed.more.push_back(at.room);
      continue;
    }
    if (!s.find_room(at.room) || !s.is_member(at.room, user)) continue;
    auto messages = s.messages_after(at.room, at.seq, kCatchUpPage);
    bool complete = keep_fitting(messages, left);
    missed.rooms.emplace_back(at.room, std::move(messages));
    if (at.change) {
      auto changed = left > 0 ? s.messages_changed_after(at.room, *at.change, kCatchUpPage) : std::vector<store::Message>{};
      complete = (left > 0 && keep_fitting(changed, left)) && complete;
      missed.changed.emplace_back(at.room, std::move(changed));
    }
    if (!complete) missed.more.push_back(at.room);
  }
  return missed;
}

ChatResult<Changed> change_message(Store& s, int64_t user, const ChangeRequest& request, const ChatLimits& limits,
                                   int64_t now) {
  using Kind = ChangeRequest::Kind;
  if (!s.find_room(request.room)) return refuse(ErrorCode::not_found, "no such room");
  // Reading is not enough to change anything: a public room's messages are for its members to
  // edit, delete and react to, as they are for sending.
  if (!s.is_member(request.room, user)) return refuse(ErrorCode::forbidden, "you are not a member of this room");
  auto message = s.find_message(request.room, request.seq);
  if (!message) return refuse(ErrorCode::not_found, "no such message");
  const bool deleted = message->deleted_at != 0;
  if (request.kind != Kind::react && message->author_id != user)
    return refuse(ErrorCode::forbidden, request.kind == Kind::edit ? "you can only edit your own messages"
                                                                    : "you can only delete your own messages");
  if (deleted) {
    if (request.kind == Kind::remove) return Changed{std::move(*message), 0, {}};
    return refuse(ErrorCode::not_found, "this message was deleted");
  }
  int64_t change = 0;
  std::vector<std::string> unused_blobs;
  switch (request.kind) {
    case Kind::edit:
      if (now - message->created_at > std::chrono::milliseconds(limits.edit_window).count())
        return refuse(ErrorCode::edit_window_passed, "a message can only be edited for a while after it was sent");
      if (message->text == request.text) return Changed{std::move(*message), 0, {}};
      change = s.edit_message(request.room, request.seq, request.text, now);
      // Whoever the new text names; a name taken out of the text no longer counts as a mention.
      if (!request.mentions.empty() || !message->mentions.empty())
        s.set_mentions(request.room, request.seq, user, request.mentions);
      break;
    case Kind::remove: {
      const bool attached = !message->attachments.empty();
      change = s.delete_message(request.room, request.seq, now);
      // Only for messages with attachments: their rows go, and the blobs no other attachment
      // uses are removed once this is committed (Changed::unused_blobs).
      if (attached) unused_blobs = s.remove_message_attachments(request.room, request.seq);
      break;
    }
    case Kind::react: {
      const auto& reactions = message->reactions;
      const bool known = std::any_of(reactions.begin(), reactions.end(),
                                     [&](const store::Reaction& r) { return r.emoji == request.text; });
      if (request.on && !known && reactions.size() >= limits.max_reaction_kinds)
        return refuse(ErrorCode::too_many_reactions, "this message has as many different reactions as it can take");
      change = s.set_reaction(request.room, request.seq, user, request.text, request.on, now);
      break;
    }
  }
  if (change == 0) return Changed{std::move(*message), 0, {}};
  auto now_message = s.find_message(request.room, request.seq);
  if (!now_message) throw store::StoreError(store::StoreError::Kind::unavailable, "a changed message cannot be read back");
  return Changed{std::move(*now_message), change, std::move(unused_blobs)};
}

Found search(Store& s, int64_t user, const std::vector<std::string>& words, int64_t before_id, int limit,
             size_t budget) {
  Found found;
  auto messages = s.search_messages(user, words, before_id, limit + 1);
  // As many as were asked for and fit the answer's budget (newest first); the next page starts
  // below the last one given.
  const size_t fitting = std::min(oldest_within(messages, budget), static_cast<size_t>(limit));
  if (messages.size() > fitting) {
    messages.resize(fitting);
    found.next = messages.back().id;
  }
  std::vector<RoomView> rooms;  // each room once, however many of its messages were found
  for (auto& m : messages) {
    auto room = std::find_if(rooms.begin(), rooms.end(), [&](const RoomView& v) { return v.room.id == m.room_id; });
    if (room == rooms.end()) {
      auto stored = s.find_room(m.room_id);
      if (!stored) continue;
      auto peer = peer_of(s, *stored, user);
      room = rooms.insert(rooms.end(), RoomView{std::move(*stored), std::move(peer)});
    }
    found.hits.emplace_back(std::move(m), *room);
  }
  return found;
}

RoomsPage list_rooms(Store& s, int64_t user, int64_t after, int limit) {
  RoomsPage page;
  const auto mine = s.rooms_of(user);
  std::unordered_set<int64_t> joined;
  for (const auto& r : mine) joined.insert(r.id);
  auto found = s.public_rooms(after, limit + 1);
  const size_t shown = std::min(found.size(), static_cast<size_t>(limit));
  for (size_t i = 0; i < shown; ++i) page.public_rooms.emplace_back(found[i], joined.count(found[i].id) > 0);
  if (found.size() > shown) page.next = found[shown - 1].id;
  if (after == 0) {
    for (const auto& room : mine)
      if (room.kind == RoomKind::direct) page.direct.push_back(RoomView{room, peer_of(s, room, user)});
  }
  return page;
}

}  // namespace dchat::chat
