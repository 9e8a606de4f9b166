// ChatService: room:members (who @-completion offers in the composer).
#include "chat/chat_queries.hpp"
#include "chat/chat_service.hpp"
#include "chat/chat_service_detail.hpp"
#include "chat/name_rules.hpp"
#include "chat/views.hpp"
#include "store/name_key.hpp"

namespace dchat::chat {

namespace {

inline constexpr int kMembersPage = 10;
inline constexpr int kMaxMembersPage = 20;

}  // namespace

void ChatService::members(const SocketPtr& socket, Message&& msg, Ack ack) {
  const auto args = args_object(msg);
  const auto room = int_field(args, "roomId");
  if (!room) return refuse(ack, ErrorCode::bad_request, "roomId is required");
  const std::string prefix = string_field(args, "prefix").value_or("");
  if (prefix.size() > kMaxNameCharacters * 4) return refuse(ack, ErrorCode::bad_request, "prefix is too long");
  // Compared as names are (NFKC, then the case-insensitive key). What cannot begin a valid name
  // matches nobody; an empty prefix lists the first members by name.
  std::optional<std::string> key = std::string();
  if (!prefix.empty()) {
    const auto normalized = normalize_name(prefix);
    key = normalized ? std::optional(store::name_key(*normalized)) : std::nullopt;
  }
  // Clients ask as the user types: a few per second.
  const auto lookup = admit_lookup(socket, args, {kMembersPage, kMaxMembersPage}, lookups_, ack, "looking up members");
  if (!lookup) return;
  using Members = ChatResult<std::vector<store::User>>;
  run<Members>(
      socket,
      [uid = lookup->user, room = *room, key, limit = lookup->limit](Store& s) -> Members {
        if (!key) return std::vector<store::User>{};
        return members_named(s, uid, room, *key, limit);
      },
      [ack](StoreResult<Members>& r) {
        if (!r) return refuse(ack, storage_refusal(r));
        if (!*r.value) return refuse(ack, r.value->error());
        json::array members;
        for (const auto& user : **r.value) members.push_back(user_json(user));
        reply(ack, json::object{{"ok", true}, {"members", std::move(members)}});
      });
}

}  // namespace dchat::chat
