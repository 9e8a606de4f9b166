#pragma once
// Private to the SQLite store's files: reading rooms and messages from their rows (the column
// lists are in message_rows.hpp).
#include <cstdint>
#include <string>
#include <vector>

#include "store/dm_key.hpp"
#include "store/message_rows.hpp"
#include "store/sqlite_query.hpp"
#include "store/store.hpp"

namespace dchat::store::sqlite_rows {

inline Room read_room(const SqliteQuery& q) {
  Room room;
  room.id = q.int64(0);
  room.kind = q.text(1) == "direct" ? RoomKind::direct : RoomKind::public_room;
  room.name = q.text(2);
  room.created_by = q.int64(3);
  room.created_at = q.int64(4);
  room.last_seq = q.int64(5);
  room.last_change = q.int64(7);
  if (room.kind == RoomKind::direct) room.direct_members = parse_dm_key(q.text(6));
  return room;
}

inline Message read_message(const SqliteQuery& q) { return message_from_row(q); }
inline User read_user(const SqliteQuery& q) { return user_from_row(q); }

}  // namespace dchat::store::sqlite_rows
