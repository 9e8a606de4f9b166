#pragma once
// The JSON shapes of docs/CHAT_PROTOCOL.md, built from store records and the chat's typed
// results (chat_results.hpp) in one place: the only code in chat/ that makes wire payloads.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "chat/chat_limits.hpp"
#include "chat/chat_results.hpp"
#include "store/store.hpp"

namespace dchat::chat {

boost::json::object user_json(const store::User& user);
// `peer` is the other member of a direct room (empty optional for public rooms).
boost::json::object room_json(const store::Room& room, bool joined, const std::optional<store::User>& peer);
// A room the user is in, as that user sees it.
boost::json::object room_json(const RoomView& view);
boost::json::object message_json(const store::Message& message);
// One of Message.attachments: {"id", "url", "thumbUrl", "width", "height", "thumbWidth",
// "thumbHeight", "bytes", "type": "image/webp"} (also the upload's answer).
boost::json::object attachment_json(const store::MessageAttachment& attachment);
boost::json::array messages_json(const std::vector<store::Message>& messages);

// Answers stay far below what one connection's outbox holds, whatever the messages weigh: how
// many of `messages`, counted from the oldest, fit as JSON in about `budget` bytes (at least one
// when there is one)...
size_t oldest_within(const std::vector<store::Message>& messages, size_t budget);
// ... and the same from the newest end (history pages: the newest messages before a seq matter
// most).
size_t newest_within(const std::vector<store::Message>& messages, size_t budget);
// A generous estimate of one message's JSON size (escaping can double text).
size_t message_json_weight(const store::Message& message);

// A refused Socket.IO request's ack: {"ok": false, "error", "message"[, "retryAfterMs"]}.
boost::json::object refusal_json(const Refusal& refusal);
// A refused HTTP request's body: {"error", "message"}.
boost::json::object refusal_body(const Refusal& refusal);

// The acks of the chat's requests.
boost::json::object posted_ack(const Posted& posted);
boost::json::object opened_ack(const Opened& opened);
// message:edit, message:delete and reaction:set: the ack, and the `message:changed` event.
boost::json::object changed_ack(const Changed& changed);
boost::json::object changed_event(const Changed& changed);
boost::json::object history_ack(const std::vector<store::Message>& messages);
boost::json::object missed_ack(const Missed& missed);
// The `ready` event of a new connection: the user and the rooms the user is in.
boost::json::object ready_json(boost::json::object user, const std::vector<RoomView>& rooms, const ChatLimits& limits);
// search's ack: {"ok", "results": [{"message", "room"}...], "next": id|null}.
boost::json::object found_ack(const Found& found);
// The body of GET /api/rooms.
boost::json::object rooms_page_json(const RoomsPage& page);

// The Socket.IO room names the chat uses.
std::string room_channel(int64_t room_id);
std::string user_channel(int64_t user_id);
// Every connection of one sign-in session (to end them when it is signed out or expires). The
// "#" marks a personal room for the cluster adapter: no broker channel of its own.
std::string session_channel(const std::string& token_hash);

}  // namespace dchat::chat
