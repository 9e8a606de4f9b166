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
  std::vector<int64_t> more;
};

// GET /api/rooms: a page of public rooms (with whether the user joined each), and on the first
// page the user's direct conversations; `next` is the cursor of the next page.
struct RoomsPage {
  std::vector<std::pair<store::Room, bool>> public_rooms;
  std::vector<RoomView> direct;
  std::optional<int64_t> next;
};

}  // namespace dchat::chat
