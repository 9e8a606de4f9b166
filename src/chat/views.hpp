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
boost::json::object error_json(std::string_view code, std::string_view message);

// The Socket.IO room names the chat uses.
std::string room_channel(int64_t room_id);
std::string user_channel(int64_t user_id);

}  // namespace dchat::chat
