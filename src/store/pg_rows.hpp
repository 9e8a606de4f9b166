#pragma once
// Private to the PostgreSQL store's files: reading rooms and messages from their rows (the
// column lists are in message_rows.hpp).
#include <cstdint>
#include <string>
#include <vector>

#include "store/dm_key.hpp"
#include "store/message_rows.hpp"
#include "store/pg_result.hpp"
#include "store/store.hpp"

namespace dchat::store::pg_rows {

inline Room read_room(const PgResult& r, int row) {
  Room room;
  room.id = r.int64(row, 0);
  room.kind = r.text(row, 1) == "direct" ? RoomKind::direct : RoomKind::public_room;
  room.name = r.text(row, 2);
  room.created_by = r.int64(row, 3);
  room.created_at = r.int64(row, 4);
  room.last_seq = r.int64(row, 5);
  room.last_change = r.int64(row, 7);
  if (room.kind == RoomKind::direct) room.direct_members = parse_dm_key(r.text(row, 6));
  return room;
}

inline std::vector<Room> read_rooms(const PgResult& r) {
  std::vector<Room> rooms;
  rooms.reserve(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) rooms.push_back(read_room(r, i));
  return rooms;
}

// One row of a PgResult as message_from_row reads it.
struct PgRow {
  const PgResult& r;
  int row;
  int64_t int64(int column) const { return r.int64(row, column); }
  std::string text(int column) const { return r.text(row, column); }
  bool is_null(int column) const { return r.is_null(row, column); }
};

inline Message read_message(const PgResult& r, int row) { return message_from_row(PgRow{r, row}); }
inline User read_user(const PgResult& r, int row) { return user_from_row(PgRow{r, row}); }

inline std::vector<Message> read_messages(const PgResult& r) {
  std::vector<Message> messages;
  messages.reserve(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) messages.push_back(read_message(r, i));
  return messages;
}

}  // namespace dchat::store::pg_rows
