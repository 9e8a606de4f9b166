#pragma once
// What the chat's requests read and write in the store, with every rule that needs the store
// (membership, private conversations, room limits), as typed results (chat_results.hpp). Each
// function blocks: it runs on a StoreExecutor worker, and the service acts on its result on the
// connection's shard. Store failures are thrown as StoreError, as the store throws them.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "chat/chat_limits.hpp"
#include "chat/chat_results.hpp"
#include "store/store.hpp"

namespace dchat::chat {

// The connection's rooms when it connects; everyone is made a member of "general" first.
std::vector<RoomView> rooms_on_connect(store::Store& s, int64_t user, int64_t now);

// message:send's answer from what the store did with it (Store::append_messages).
ChatResult<Posted> posted_from(store::AppendOutcome&& outcome, int64_t room);
// message:send on its own (a batch of one; its @names mention, @room does not: no limit given).
ChatResult<Posted> post_message(store::Store& s, int64_t user, int64_t room, const std::string& text,
                                const std::string& client_id, int64_t now, int64_t reply_to = 0);

// room:join by id or by name (a name that is free creates the room).
struct JoinRequest {
  std::optional<int64_t> room_id;
  std::optional<std::string> name;  // checked by the name rules already
};
ChatResult<Opened> join_room(store::Store& s, int64_t user, const JoinRequest& request, const ChatLimits& limits,
                             int64_t now);

// dm:open with the user of that (normalized) name.
ChatResult<DirectOpened> open_direct(store::Store& s, int64_t user, const std::string& peer_name,
                                     const ChatLimits& limits, int64_t now);

// room:leave: a public room's membership ends; a direct conversation is only hidden (the
// membership stays).
ChatResult<void> leave_room(store::Store& s, int64_t user, int64_t room);

// Up to `limit` messages before `before_seq` (<= 0: the newest), oldest first, of a room the
// user may read (public rooms: everyone; direct ones: their members).
// room:members: members of a room the user is a member of whose names start with `prefix`
// (already normalised to a name key prefix), by name.
ChatResult<std::vector<store::User>> members_named(store::Store& s, int64_t user, int64_t room,
                                                   const std::string& key_prefix, int limit);

ChatResult<std::vector<store::Message>> read_page(store::Store& s, int64_t user, int64_t room, int64_t before_seq,
                                                  int limit);

// sync: what the user missed in each room asked for (new messages after its seq, and messages
// changed after its change number when it sent one), within `budget` bytes.
Missed read_missed(store::Store& s, int64_t user, const std::vector<SyncPosition>& wanted, size_t budget);

// message:edit, message:delete and reaction:set, with their rules: only members of the room;
// edits and deletes only by the author, edits only within limits.edit_window of sending; no
// change to a deleted message (a second delete changes nothing); at most
// limits.max_reaction_kinds different emoji on a message. Runs on the writer
// (StoreExecutor::async_room_write), so the checks and the change are one step.
ChatResult<Changed> change_message(store::Store& s, int64_t user, const ChangeRequest& request,
                                   const ChatLimits& limits, int64_t now);

// search: messages with every word, in rooms the user may read (Store::search_messages), each
// with its room; a page of at most `limit` (and what fits `budget` bytes) before message id
// `before_id` (<= 0: the newest).
Found search(store::Store& s, int64_t user, const std::vector<std::string>& words, int64_t before_id, int limit,
             size_t budget);

// GET /api/rooms?after=&limit=.
RoomsPage list_rooms(store::Store& s, int64_t user, int64_t after, int limit);

// How many messages one sync (and the catch-up after a join) reads from a room at most.
inline constexpr int kCatchUpPage = 500;

}  // namespace dchat::chat
