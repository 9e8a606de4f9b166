#pragma once
// What the chat's requests come to, as types: a request is either answered with its result or
// refused with a Refusal (an error code of docs/CHAT_PROTOCOL.md and a message for people). The
// store-side steps (chat_queries.hpp) return these, the service decides what to broadcast from
// them, and only views.hpp turns them into JSON for the wire.
//
// boost::system::result rather than a hand-written Result<T, E>: C++20 on g++ 12 has no
// std::expected, and Boost.System (already linked for Asio) has the same value-or-error shape.
#include <boost/system/result.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/store.hpp"

namespace dchat::chat {

// The `error` codes of the protocol's refusals.
enum class ErrorCode {
  bad_request,
  invalid_text,
  invalid_name,
  not_found,
  forbidden,
  rate_limited,
  too_many_rooms,
  overloaded,
  storage_unavailable,
  edit_window_passed,
  too_many_reactions,
  too_many_attachments,
};

std::string_view error_code_name(ErrorCode code);

struct Refusal {
  ErrorCode code = ErrorCode::bad_request;
  std::string message;
  // Set when the client should wait before trying again (sent as retryAfterMs).
  std::optional<std::chrono::milliseconds> retry_after;
};

// .value() on a refused result is a bug in the caller: it throws std::logic_error (found by
// boost::system::result through argument-dependent lookup).
[[noreturn]] void throw_exception_from_error(const Refusal& refusal, const boost::source_location& where);

template <typename T>
using ChatResult = boost::system::result<T, Refusal>;

// A room as one user sees it: a direct room shows the other member (its `peer`).
struct RoomView {
  store::Room room;
  std::optional<store::User> peer;  // the other member of a direct room, empty for public rooms
};

// message:send: the stored message; `duplicate` when it had been stored before under the same
// clientId (then it is only acknowledged again, not broadcast).
struct Posted {
  store::Message message;
  bool duplicate = false;
};

// message:edit, message:delete and reaction:set: the message as it is now; `change` is the
// room's change number this request gave it, 0 when it changed nothing (nothing to broadcast:
// an edit to the same text, a delete of a deleted message, a reaction already so).
struct Changed {
  store::Message message;
  int64_t change = 0;
  // A delete of a message with attachments: the blobs no attachment uses any more, to remove
  // from the BlobStore after the delete is committed.
  std::vector<std::string> unused_blobs;
};

// What message:edit, message:delete and reaction:set ask for.
struct ChangeRequest {
  enum class Kind { edit, remove, react };
  Kind kind = Kind::edit;
  int64_t room = 0;
  int64_t seq = 0;
  std::string text;   // edit: the new text (checked already); react: the emoji (checked already)
  bool on = true;     // react: add (true) or take back (false)
  store::MentionRequest mentions{};  // edit: whom the new text mentions
};

// room:join and dm:open: the room and its newest messages (as many as fit the answer's budget).
struct Opened {
  RoomView room;
  std::vector<store::Message> messages;
};

// dm:open: also what the peer's connections are told (the room shows the opener as its peer).
struct DirectOpened {
  Opened opened;
  int64_t peer_id = 0;
  RoomView for_peer;
};

// sync: per room asked for (in the order asked), the messages after the client's seq that fit
// the answer's budget; `more` lists the rooms cut short or not reached.
struct Missed {
  std::vector<std::pair<int64_t, std::vector<store::Message>>> rooms;
  // Per room asked with a change position: the messages changed after it, by change ascending.
  std::vector<std::pair<int64_t, std::vector<store::Message>>> changed;
  std::vector<int64_t> more;
};

// Where a client is in one room, as sync asks: the newest seq it has and, from clients that
// know of changes, the newest change number it has (old clients send only the seq).
struct SyncPosition {
  int64_t room = 0;
  int64_t seq = 0;
  std::optional<int64_t> change;
};

// search: the messages found, newest first, each with its room as the user sees it; `next`:
// the beforeId of the next page (none when this one was the last).
struct Found {
  std::vector<std::pair<store::Message, RoomView>> hits;
  std::optional<int64_t> next;
};

// GET /api/rooms: a page of public rooms (with whether the user joined each), and on the first
// page the user's direct conversations; `next` is the cursor of the next page.
struct RoomsPage {
  std::vector<std::pair<store::Room, bool>> public_rooms;
  std::vector<RoomView> direct;
  std::optional<int64_t> next;
};

}  // namespace dchat::chat
