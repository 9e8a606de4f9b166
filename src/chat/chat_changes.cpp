// ChatService: message:edit, message:delete, reaction:set (changes to stored messages, numbered
// per room so that `sync` can bring them to clients that missed them) and room:read.
#include "chat/attachment_blobs.hpp"
#include "chat/chat_queries.hpp"
#include "chat/chat_service.hpp"
#include "chat/chat_service_detail.hpp"
#include "chat/emoji_rules.hpp"
#include "chat/mention_rules.hpp"
#include "chat/message_rules.hpp"
#include "chat/views.hpp"
#include "core/log_throttle.hpp"

namespace dchat::chat {

namespace {

// The message an edit, delete or reaction is about: {"roomId", "seq"}.
std::optional<ChangeRequest> change_target(const json::object& args, ChangeRequest::Kind kind) {
  const auto room = int_field(args, "roomId");
  const auto seq = int_field(args, "seq");
  if (!room || !seq || *seq < 1) return std::nullopt;
  ChangeRequest request;
  request.kind = kind;
  request.room = *room;
  request.seq = *seq;
  return request;
}

}  // namespace

void ChatService::edit_message(const SocketPtr& socket, Message&& msg, Ack ack) {
  const auto args = args_object(msg);
  auto request = change_target(args, ChangeRequest::Kind::edit);
  if (!request) return refuse(ack, ErrorCode::bad_request, "roomId and seq are required");
  const auto raw_text = string_field(args, "text");
  const auto text = raw_text ? normalize_message_text(*raw_text) : std::nullopt;
  if (!text) return refuse(ack, ErrorCode::invalid_text, "a message is 1 to 4000 characters of text");
  request->text = *text;
  request->mentions = mentions_in(*text);
  request->mentions.room_limit = limits_.room_mention_max_members;
  change_message(socket, std::move(*request), ack);
}

void ChatService::delete_message(const SocketPtr& socket, Message&& msg, Ack ack) {
  auto request = change_target(args_object(msg), ChangeRequest::Kind::remove);
  if (!request) return refuse(ack, ErrorCode::bad_request, "roomId and seq are required");
  change_message(socket, std::move(*request), ack);
}

void ChatService::set_reaction(const SocketPtr& socket, Message&& msg, Ack ack) {
  const auto args = args_object(msg);
  auto request = change_target(args, ChangeRequest::Kind::react);
  if (!request) return refuse(ack, ErrorCode::bad_request, "roomId and seq are required");
  const auto raw_emoji = string_field(args, "emoji");
  const auto emoji = raw_emoji ? canonical_emoji(*raw_emoji) : std::nullopt;
  if (!emoji) return refuse(ack, ErrorCode::bad_request, "emoji must be one emoji");
  const auto* on = args.if_contains("on");
  if (on && !on->is_bool()) return refuse(ack, ErrorCode::bad_request, "on must be true or false");
  request->text = *emoji;
  request->on = !on || on->as_bool();
  change_message(socket, std::move(*request), ack);
}

void ChatService::change_message(const SocketPtr& socket, ChangeRequest request, const Ack& ack) {
  const int64_t uid = user_id_of(*socket);
  if (!within_rate(changes_, uid, ack, "changing messages")) return;
  if (!admit(socket, ack)) return;
  const int64_t room = request.room;
  std::function<ChatResult<Changed>(Store&)> job = [uid, request = std::move(request), limits = limits_,
                                                    now = now_ms()](Store& s) {
    return chat::change_message(s, uid, request, limits, now);
  };
  std::function<void(StoreResult<ChatResult<Changed>>&)> done = [this, ack, room](StoreResult<ChatResult<Changed>>& r) {
    if (!r) return refuse(ack, storage_refusal(r));
    if (!*r.value) return refuse(ack, r.value->error());
    Changed& changed = **r.value;
    if (!changed.unused_blobs.empty()) remove_blobs(std::move(changed.unused_blobs));
    // Stored first, then told to the room (every replica) once; clients that miss it get it
    // from `sync` by its change number.
    if (changed.change > 0)
      nsp_.to(room_channel(room)).emit("message:changed", Message{json::array{changed_event(changed)}, {}});
    reply(ack, changed_ack(changed));
  };
  store_.async_room_write<ChatResult<Changed>>(room, std::move(job),
                                               on_shard<ChatResult<Changed>>(socket, std::move(done)));
}

void ChatService::remove_blobs(std::vector<std::string> ids) {
  if (!blobs_ || ids.empty()) return;
  // Content-addressed blobs shared by several attachments are only in `ids` once none uses them.
  store_.async_run<size_t>(
      [blobs = blobs_, ids = std::move(ids)](Store& s) { return remove_unused_attachment_blobs(s, *blobs, ids); },
      [](store::StoreResult<size_t>) {});
}

void ChatService::mark_read(const SocketPtr& socket, Message&& msg, Ack ack) {
  const auto args = args_object(msg);
  const auto room = int_field(args, "roomId");
  const auto seq = int_field(args, "seq");
  if (!room || !seq || *seq < 0) return refuse(ack, ErrorCode::bad_request, "roomId and seq are required");
  const int64_t uid = user_id_of(*socket);
  // Clients mark read as messages come into view: a few per second at most.
  if (!within_rate(reads_, uid, ack, "marking messages read")) return;
  if (!admit(socket, ack)) return;
  // On the pool, one statement in its own transaction: on the writer, read marks of several
  // users in one group would lock their membership rows in arrival order, and two replicas'
  // groups could wait for each other (PostgreSQL); with SQLite it waits for the writer's lock
  // like any other write outside the writer.
  struct Read {
    int64_t seq = 0;
    int64_t mentions = 0;  // mentions left unread
  };
  store_.async_run<Read>(
      [uid, room = *room, seq = *seq](Store& s) {
        const int64_t read = s.mark_read(room, uid, seq);
        return Read{read, read > 0 ? s.unread_mentions(room, uid) : 0};
      },
      on_shard<Read>(socket, [this, socket, ack, uid, room = *room](StoreResult<Read>& r) {
        if (!r) return refuse(ack, storage_refusal(r));
        const Read read = *r.value;
        // The user's other tabs and devices (every replica) show the same unread counts. 0: not
        // a member (or nothing to read), nothing to tell.
        if (read.seq > 0)
          nsp_.to(user_channel(uid))
              .except(socket->id())
              .emit("room:read", Message{json::array{json::object{
                                             {"roomId", room}, {"readSeq", read.seq}, {"mentionCount", read.mentions}}},
                                         {}});
        reply(ack, json::object{{"ok", true}, {"readSeq", read.seq}, {"mentionCount", read.mentions}});
      }));
}

}  // namespace dchat::chat
