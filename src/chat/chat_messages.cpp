// ChatService: message:send, history, sync and typing.
#include <algorithm>

#include "chat/attachment_id.hpp"
#include "chat/chat_queries.hpp"
#include "chat/chat_service.hpp"
#include "chat/chat_service_detail.hpp"
#include "chat/mention_rules.hpp"
#include "chat/message_rules.hpp"
#include "chat/views.hpp"
#include "core/metrics.hpp"
#include "core/utf8.hpp"

namespace dchat::chat {

namespace {

// The rooms a sync asks about: {"rooms": {"<id>": <after seq>, ...}} (clients that know
// nothing of changes) or {"rooms": {"<id>": {"seq": S, "change": C}, ...}}, the first 100
// well-formed entries (bounds the work one request can cause); nullopt when `rooms` is missing.
std::optional<std::vector<SyncPosition>> rooms_to_sync(const json::object& args) {
  const auto* rooms = args.if_contains("rooms");
  if (!rooms || !rooms->is_object()) return std::nullopt;
  std::vector<SyncPosition> wanted;
  for (const auto& [key, value] : rooms->as_object()) {
    if (wanted.size() >= 100) break;
    SyncPosition at;
    try {
      at.room = std::stoll(std::string(key));
    } catch (const std::exception&) {
      continue;
    }
    if (value.is_int64()) {
      at.seq = value.as_int64();
    } else if (value.is_object()) {
      const auto seq = int_field(value.as_object(), "seq");
      if (!seq) continue;
      at.seq = *seq;
      // Changes only for a client that says where it is in them.
      at.change = int_field(value.as_object(), "change");
    } else {
      continue;
    }
    wanted.push_back(at);
  }
  return wanted;
}

Refusal bad_attachments(ErrorCode code, std::string message) { return Refusal{code, std::move(message), std::nullopt}; }

// message:send's "attachments": at most kMaxAttachmentsPerMessage attachment ids, each once.
ChatResult<std::vector<std::string>> attachments_to_send(const json::object& args) {
  std::vector<std::string> ids;
  const auto* field = args.if_contains("attachments");
  if (!field || field->is_null()) return ids;
  if (!field->is_array()) return bad_attachments(ErrorCode::bad_request, "attachments must be a list of attachment ids");
  const auto& list = field->as_array();
  if (list.size() > kMaxAttachmentsPerMessage)
    return bad_attachments(ErrorCode::too_many_attachments,
                  "a message can carry at most " + std::to_string(kMaxAttachmentsPerMessage) + " attachments");
  for (const auto& item : list) {
    if (!item.is_string() || !is_attachment_id(item.as_string()))
      return bad_attachments(ErrorCode::bad_request, "attachments must be a list of attachment ids");
    std::string id(item.as_string());
    if (std::find(ids.begin(), ids.end(), id) != ids.end())
      return bad_attachments(ErrorCode::bad_request, "an attachment is listed twice");
    ids.push_back(std::move(id));
  }
  return ids;
}

}  // namespace

void ChatService::send_message(const SocketPtr& socket, Message&& msg, Ack ack) {
  const auto args = args_object(msg);
  const auto room_id = int_field(args, "roomId");
  const auto raw_text = string_field(args, "text");
  const std::string client_id = string_field(args, "clientId").value_or("");
  if (!room_id) return refuse(ack, ErrorCode::bad_request, "roomId is required");
  int64_t reply_to = 0;
  if (const auto* field = args.if_contains("replyTo"); field && !field->is_null()) {
    const auto seq = int_field(args, "replyTo");
    if (!seq || *seq < 1) return refuse(ack, ErrorCode::bad_request, "replyTo must be the seq of a message");
    reply_to = *seq;
  }
  if (client_id.size() > kMaxClientIdBytes) return refuse(ack, ErrorCode::bad_request, "clientId is too long");
  if (!core::is_valid_utf8(client_id) || client_id.find('\0') != std::string::npos)
    return refuse(ack, ErrorCode::bad_request, "clientId must be text");
  auto attachments = attachments_to_send(args);
  if (!attachments) return refuse(ack, attachments.error());
  auto text = raw_text ? normalize_message_text(*raw_text) : std::nullopt;
  // A message with an image may have no text ("" or only spaces); otherwise 1 to 4000 characters.
  if (!text && raw_text && !attachments->empty() && raw_text->find_first_not_of(" \t\r\n") == std::string::npos)
    text = std::string();
  if (!text) return refuse(ack, ErrorCode::invalid_text, "a message is 1 to 4000 characters of text");
  const int64_t uid = user_id_of(*socket);
  if (!within_rate(sends_, uid, ack, "sending messages")) return;
  if (!admit(socket, ack)) return;
  std::function<void(StoreResult<store::AppendOutcome>&)> done = [this, ack, room = *room_id](StoreResult<store::AppendOutcome>& r) {
    if (!r) return refuse(ack, storage_refusal(r));
    auto posted = posted_from(std::move(*r.value), room);
    if (!posted) return refuse(ack, posted.error());
    json::object answer = posted_ack(*posted);
    // Stored first, then broadcast once: a resent duplicate is only acknowledged again.
    if (!posted->duplicate) {
      core::metrics().messages_stored.inc();
      nsp_.to(room_channel(room)).emit("message", Message{json::array{answer.at("message")}, {}});
    }
    reply(ack, std::move(answer));
  };
  store::AppendRequest request{*room_id, uid, *text, client_id, now_ms(), reply_to, mentions_in(*text)};
  request.mentions.room_limit = limits_.room_mention_max_members;
  request.attachments = std::move(*attachments);
  request.attachments_since = request.created_at - std::chrono::milliseconds(limits_.attachment_ttl).count();
  store_.async_append(std::move(request), on_shard<store::AppendOutcome>(socket, std::move(done)));
}

void ChatService::history(const SocketPtr& socket, Message&& msg, Ack ack) {
  const auto args = args_object(msg);
  const auto room_id = int_field(args, "roomId");
  if (!room_id) return refuse(ack, ErrorCode::bad_request, "roomId is required");
  const int64_t before = int_field(args, "beforeSeq").value_or(0);
  const int limit = static_cast<int>(std::clamp<int64_t>(int_field(args, "limit").value_or(kHistoryPage), 1, 100));
  if (!admit(socket, ack)) return;
  const int64_t uid = user_id_of(*socket);
  using Page = ChatResult<std::vector<store::Message>>;
  run<Page>(
      socket,
      [uid, room_id = *room_id, before, limit, budget = limits_.answer_budget](Store& s) {
        auto page = read_page(s, uid, room_id, before, limit);
        // The newest `limit` before the seq, as many of them as fit the answer's budget; the
        // client pages on from the oldest one it got.
        if (page) page->erase(page->begin(), page->end() - newest_within(*page, budget));
        return page;
      },
      [ack](StoreResult<Page>& r) {
        if (!r) return refuse(ack, storage_refusal(r));
        if (!*r.value) return refuse(ack, r.value->error());
        reply(ack, history_ack(**r.value));
      });
}

void ChatService::sync(const SocketPtr& socket, Message&& msg, Ack ack) {
  const auto wanted = rooms_to_sync(args_object(msg));
  if (!wanted) return refuse(ack, ErrorCode::bad_request, "rooms is required");
  if (!admit(socket, ack)) return;
  const int64_t uid = user_id_of(*socket);
  run<Missed>(
      socket, [uid, wanted = *wanted, budget = limits_.answer_budget](Store& s) { return read_missed(s, uid, wanted, budget); },
      [ack](StoreResult<Missed>& r) { r ? reply(ack, missed_ack(*r.value)) : refuse(ack, storage_refusal(r)); });
}

void ChatService::typing(const SocketPtr& socket, Message&& msg, Ack) {
  const auto args = args_object(msg);
  const auto room_id = int_field(args, "roomId");
  const auto* flag = args.if_contains("typing");
  if (!room_id || !flag || !flag->is_bool()) return;
  const std::string channel = room_channel(*room_id);
  if (!socket->in_room(channel)) return;
  auto& data = socket->data.as_object();
  const bool typing = flag->as_bool();
  if (typing) {
    // At most one "typing" per second per connection reaches the room.
    const int64_t now = now_ms();
    const auto* last = data.if_contains("typingAt");
    if (last && last->is_int64() && now - last->as_int64() < 1000) return;
    data["typingAt"] = now;
  } else {
    data.erase("typingAt");
  }
  json::object user{{"id", data.at("id")}, {"name", data.at("name")}};
  socket->to(channel).volatile_().emit(
      "typing", Message{json::array{json::object{{"roomId", *room_id}, {"user", user}, {"typing", typing}}}, {}});
}

}  // namespace dchat::chat
