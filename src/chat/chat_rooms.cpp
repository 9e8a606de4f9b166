// ChatService: room:join, room:leave and dm:open. The store decides (chat_queries.hpp); here the
// socket, and the user's other tabs, follow the room, and the answer is built.
#include "chat/chat_queries.hpp"
#include "chat/chat_service.hpp"
#include "chat/chat_service_detail.hpp"
#include "chat/message_rules.hpp"
#include "chat/name_rules.hpp"
#include "chat/views.hpp"

namespace dchat::chat {

void ChatService::join_room(const SocketPtr& socket, Message&& msg, Ack ack) {
  const auto args = args_object(msg);
  JoinRequest request{int_field(args, "roomId"), std::nullopt};
  if (auto raw = string_field(args, "name")) {
    NameCheck checked = check_name(*raw);
    if (!checked.ok()) return refuse(ack, ErrorCode::invalid_name, "the room name " + checked.problem);
    request.name = std::move(checked.name);
  }
  if (!request.room_id && !request.name) return refuse(ack, ErrorCode::bad_request, "roomId or name is required");
  if (!admit(socket, ack)) return;
  const int64_t uid = user_id_of(*socket);
  const int64_t now = now_ms();
  run<ChatResult<Opened>>(
      socket, [uid, request, now, limits = limits_](Store& s) { return chat::join_room(s, uid, request, limits, now); },
      [this, socket, ack, uid](StoreResult<ChatResult<Opened>>& r) {
        if (!r) return refuse(ack, storage_refusal(r));
        if (!*r.value) return refuse(ack, r.value->error());
        Opened& opened = **r.value;
        const int64_t id = opened.room.room.id;
        enter_room(socket, id);
        // The user's other tabs follow.
        nsp_.to(user_channel(uid)).sockets_join(room_channel(id));
        nsp_.to(user_channel(uid)).except(socket->id()).emit("room:added", Message{json::array{room_json(opened.room)}, {}});
        complete_join(socket, ack, std::move(opened));
      });
}

void ChatService::complete_join(const SocketPtr& socket, const Ack& ack, Opened opened) {
  // The history was read before the socket joined the room's channel: a message stored in
  // between would reach neither. Now that the socket receives live messages, read once more
  // after the newest one loaded; the client merges both by seq.
  // The same for changes: the room's change number was read before its messages, so what
  // changed after it (edits, deletes, reactions) is read again too; the client keeps the newer
  // state of each message by its `change`.
  const int64_t id = opened.room.room.id;
  const int64_t after = opened.messages.empty() ? 0 : opened.messages.back().seq;
  const int64_t after_change = opened.room.room.last_change;
  using Newer = std::pair<std::vector<store::Message>, std::vector<store::Message>>;
  run<Newer>(
      socket,
      [id, after, after_change](Store& s) {
        return Newer{s.messages_after(id, after, kCatchUpPage), s.messages_changed_after(id, after_change, kCatchUpPage)};
      },
      [this, ack, id, opened = std::move(opened)](StoreResult<Newer>& r) {
        json::object answer = opened_ack(opened);
        if (r) {
          // Within the answer's budget: whatever does not fit, the client gets by `sync` (it
          // sees the seq jump when the next live message arrives, or asks on reconnect).
          auto& [newer, changed] = *r.value;
          const size_t fitting = oldest_within(newer, limits_.answer_budget / 4);
          auto& messages = answer["messages"].as_array();
          for (size_t i = 0; i < fitting; ++i) messages.push_back(message_json(newer[i]));
          const size_t changed_fitting = oldest_within(changed, limits_.answer_budget / 4);
          if (fitting < newer.size() || changed_fitting < changed.size()) answer["more"] = true;
          changed.resize(changed_fitting);
          answer["changed"] = messages_json(changed);
        }
        answer["online"] = presence_.online(id);
        reply(ack, std::move(answer));
      });
}

void ChatService::leave_room_event(const SocketPtr& socket, Message&& msg, Ack ack) {
  const auto room_id = int_field(args_object(msg), "roomId");
  if (!room_id) return refuse(ack, ErrorCode::bad_request, "roomId is required");
  if (!admit(socket, ack)) return;
  const int64_t uid = user_id_of(*socket);
  run<ChatResult<void>>(
      socket, [uid, room = *room_id](Store& s) { return chat::leave_room(s, uid, room); },
      [this, socket, ack, uid, room = *room_id](StoreResult<ChatResult<void>>& r) {
        if (!r) return refuse(ack, storage_refusal(r));
        if (!*r.value) return refuse(ack, r.value->error());
        leave_room(socket, room);
        nsp_.to(user_channel(uid)).sockets_leave(room_channel(room));
        reply(ack, json::object{{"ok", true}});
      });
}

void ChatService::open_direct(const SocketPtr& socket, Message&& msg, Ack ack) {
  const auto peer_name = string_field(args_object(msg), "userName");
  if (!peer_name) return refuse(ack, ErrorCode::bad_request, "userName is required");
  if (!admit(socket, ack)) return;
  const int64_t uid = user_id_of(*socket);
  const int64_t now = now_ms();
  run<ChatResult<DirectOpened>>(
      socket,
      // Looked up as names are stored (NFKC): "ＡＣＥ" finds ace.
      [uid, name = normalize_name(*peer_name).value_or(*peer_name), now, limits = limits_](Store& s) {
        return chat::open_direct(s, uid, name, limits, now);
      },
      [this, socket, ack, uid](StoreResult<ChatResult<DirectOpened>>& r) {
        if (!r) return refuse(ack, storage_refusal(r));
        if (!*r.value) return refuse(ack, r.value->error());
        DirectOpened& direct = **r.value;
        const int64_t id = direct.opened.room.room.id;
        enter_room(socket, id);
        nsp_.to(user_channel(uid)).to(user_channel(direct.peer_id)).sockets_join(room_channel(id));
        nsp_.to(user_channel(direct.peer_id)).emit("room:added", Message{json::array{room_json(direct.for_peer)}, {}});
        nsp_.to(user_channel(uid))
            .except(socket->id())
            .emit("room:added", Message{json::array{room_json(direct.opened.room)}, {}});
        complete_join(socket, ack, std::move(direct.opened));
      });
}

}  // namespace dchat::chat
