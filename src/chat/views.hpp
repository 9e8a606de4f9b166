#pragma once
// The JSON shapes of docs/CHAT_PROTOCOL.md, built from store records in one place.
#include <boost/json/object.hpp>

#include "store/store.hpp"

namespace dchat::chat {

boost::json::object user_json(const store::User& user);
// `peer` is the other member of a direct room (empty optional for public rooms).
boost::json::object room_json(const store::Room& room, bool joined, const std::optional<store::User>& peer);
boost::json::object message_json(const store::Message& message);
boost::json::array messages_json(const std::vector<store::Message>& messages);
// The first messages (oldest first) whose JSON fits in about `budget` bytes, at least one:
// answers stay far below what one connection's outbox holds, whatever the messages weigh.
// `truncated` says whether some were left out.
boost::json::array messages_json_within(const std::vector<store::Message>& messages, size_t budget, bool& truncated);
// The same from the newest end (history pages: the newest messages before a seq matter most).
boost::json::array newest_messages_json_within(const std::vector<store::Message>& messages, size_t budget,
                                               bool& truncated);
// A generous estimate of one message's JSON size (escaping can double text).
size_t message_json_weight(const store::Message& message);
boost::json::object error_json(std::string_view code, std::string_view message);

// The Socket.IO room names the chat uses.
std::string room_channel(int64_t room_id);
std::string user_channel(int64_t user_id);
// Every connection of one sign-in session (to end them when it is signed out or expires). The
// "#" marks a personal room for the cluster adapter: no broker channel of its own.
std::string session_channel(const std::string& token_hash);

}  // namespace dchat::chat
