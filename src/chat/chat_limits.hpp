#pragma once
// What one user, and one connection, may make the server do (docs/SECURITY.md).
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace dchat::chat {

// Messages the search index takes in per run (Store::index_search): the writer runs it every
// second and before each search, and a run holds the writer (and so message:send) while it
// indexes: a bound on how long, when the index has fallen far behind.
inline constexpr size_t kIndexBeforeSearch = 10000;

// Images one message can carry (message:send's "attachments").
inline constexpr size_t kMaxAttachmentsPerMessage = 4;

struct ChatLimits {
  uint32_t message_rate = 5;               // messages per second per user, sustained
  uint32_t message_burst = 20;             // ... after a quiet while
  size_t max_pending_per_connection = 32;  // requests of one connection waiting for the store
  size_t max_rooms_per_user = 200;         // memberships (public and direct)
  uint32_t change_rate = 5;                // edits, deletes and reactions per second per user
  uint32_t change_burst = 30;              // ... after a quiet while
  std::chrono::seconds edit_window{15 * 60};  // a message's author may edit it this long
  size_t max_reaction_kinds = 20;          // different emoji on one message
  // @room notifies every member: in a large room one message would page hundreds of people
  // (and write a row for each), so beyond this size @room is plain text.
  size_t room_mention_max_members = 100;
  // search: each query reads an index and up to a page of messages: fewer than sends.
  uint32_t search_rate = 1;                // searches per second per user, sustained
  uint32_t search_burst = 5;               // ... after a quiet while
  uint32_t room_creations_per_hour = 20;   // new public rooms per user
  // Bytes of messages in one answer (sync, history, join): far below one connection's outbox,
  // so an answer is never what makes a client "slow".
  size_t answer_budget = 1u << 20;
  // Requests are refused ("overloaded") while the connection's event loop lags this much.
  std::chrono::milliseconds overload_lag{250};
  // An upload not sent within this long has expired (CHAT_ATTACHMENT_TTL_S): message:send
  // refuses it even before the sweep removes it.
  std::chrono::seconds attachment_ttl{3600};
};

}  // namespace dchat::chat
