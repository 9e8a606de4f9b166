#pragma once
// What both stores do the same way with rows, whatever their driver: the columns users, rooms
// and messages are read with (a message with the message it quotes joined in), building a
// Message from such a row, the quote's excerpt, and reading reactions and grouping them onto
// their messages. Each store supplies a row reader with int64(column), text(column) and
// is_null(column) (SqliteQuery is one; PgStore wraps a PgResult row).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.hpp"

namespace dchat::store {

// The select list and joins for reading messages (DCHAT_MESSAGE_SELECT in each store appends
// its WHERE). m is the message, q the message it replies to (no row when it replies to none).
#define DCHAT_MESSAGE_COLUMNS_AND_JOINS                                                              \
  "m.id, m.room_id, m.seq, m.author_id, COALESCE(u.name, ''), m.text, m.created_at, m.client_id, " \
  "m.reply_to, m.edited_at, m.deleted_at, m.change_seq, m.mentions, q.seq, q.author_id, "          \
  "COALESCE(qu.name, ''), q.text, q.deleted_at, m.attachments "                                      \
  "FROM messages m LEFT JOIN users u ON u.id = m.author_id "                                        \
  "LEFT JOIN messages q ON m.reply_to > 0 AND q.room_id = m.room_id AND q.seq = m.reply_to "        \
  "LEFT JOIN users qu ON qu.id = q.author_id "

// Column lists both stores' statements share (the same SQL in both dialects): fixed text
// joined at compile time; every value a statement uses is a parameter.
#define DCHAT_USER_COLUMNS "u.id, u.name, u.avatar, u.avatar_small, u.created_at"
#define DCHAT_ROOM_COLUMNS \
  "r.id, r.kind, r.name, COALESCE(r.created_by, 0), r.created_at, r.last_seq, COALESCE(r.dm_key, ''), " \
  "r.last_change"
#define DCHAT_MESSAGE_SELECT "SELECT " DCHAT_MESSAGE_COLUMNS_AND_JOINS
// A member's unread mentions, as a column of a select over room_members m: a range of the
// mentions primary key (user, room, seq).
#define DCHAT_UNREAD_MENTIONS_SQL \
  "(SELECT count(*) FROM mentions x WHERE x.user_id = m.user_id AND x.room_id = m.room_id AND x.seq > m.read_seq)"

// The first line of `text`, cut to at most kQuoteBytes on a character boundary ("…" added when
// cut).
std::string quote_excerpt(std::string_view text);

// How a reply quotes a message: its seq, author, and first line (nothing once deleted).
Quote make_quote(int64_t seq, int64_t author_id, std::string author_name, std::string_view text, bool deleted);
// ... and the same from the message itself.
Quote quote_of(const Message& original);

// messages.mentions: the ids of the members a message mentions, comma-separated, after "room"
// when it mentions the whole room ("room,3,7"); "" when none. One text column rather than a
// table joined on every read: messages are read far more often than mentions are counted.
std::string mentions_text(const Mentions& mentions);
Mentions mentions_from_text(std::string_view text);

// messages.attachments: what the message shows of its attachments, "id:w:h:tw:th:bytes" each,
// comma-separated, in the order sent ("" when none). A column on the message rather than a join
// on the attachments table: a page of messages is read with no extra statement, and only sends
// with attachments and deletes of such messages touch the attachments table. Ids are URL-safe
// base64 (no ':' or ','); malformed items are skipped.
std::string attachments_text(const std::vector<MessageAttachment>& attachments);
std::vector<MessageAttachment> attachments_from_text(std::string_view text);

// A user from a row read with DCHAT_USER_COLUMNS.
template <typename Row>
User user_from_row(const Row& row) {
  return User{row.int64(0), row.text(1), row.text(2), row.text(3), row.int64(4)};
}

// A message from a row read with DCHAT_MESSAGE_COLUMNS_AND_JOINS.
template <typename Row>
Message message_from_row(const Row& row) {
  Message m;
  m.id = row.int64(0);
  m.room_id = row.int64(1);
  m.seq = row.int64(2);
  m.author_id = row.int64(3);
  m.author_name = row.text(4);
  m.text = row.text(5);
  m.created_at = row.int64(6);
  m.client_id = row.text(7);
  m.reply_to = row.int64(8);
  m.edited_at = row.int64(9);
  m.deleted_at = row.int64(10);
  m.change = row.int64(11);
  m.mentions = mentions_from_text(row.text(12));
  m.attachments = attachments_from_text(row.text(18));
  if (!row.is_null(13)) m.quote = make_quote(row.int64(13), row.int64(14), row.text(15), row.text(16), row.int64(17) != 0);
  return m;
}

// One listed reactor of an emoji on a message, as REACTION_ROWS_SQL reads them: the emoji's
// count comes with every row.
struct ReactionRow {
  int64_t seq = 0;
  std::string emoji;
  int64_t count = 0;
  int64_t user_id = 0;
  std::string user_name;
};

// The reactions of some messages of one room, counted in SQL and with only the first
// kReactorsShown users of each emoji read (a message may carry thousands of reactions; a page of
// messages reads at most kReactorsShown rows per emoji). `room` and `seqs` are the dialect's
// placeholders; rows come by seq, then emoji in the order first used, then user in the order they
// reacted. Window functions: SQLite 3.25+, PostgreSQL.
#define DCHAT_REACTION_ROWS_SQL(room, seqs)                                                                \
  "SELECT seq, emoji, n, user_id, name FROM ("                                                            \
  "SELECT r.seq, r.emoji, r.user_id, COALESCE(u.name, '') AS name, r.created_at, "                        \
  "count(*) OVER (PARTITION BY r.seq, r.emoji) AS n, "                                                    \
  "min(r.created_at) OVER (PARTITION BY r.seq, r.emoji) AS first_at, "                                    \
  "row_number() OVER (PARTITION BY r.seq, r.emoji ORDER BY r.created_at, r.user_id) AS k "                \
  "FROM reactions r LEFT JOIN users u ON u.id = r.user_id WHERE r.room_id = " room " AND r.seq " seqs ") x " \
  "WHERE k <= 10 ORDER BY seq, first_at, emoji, k"

// The rooms of `messages`, each once, in order of first appearance (reactions are read per room).
std::vector<int64_t> rooms_in(const std::vector<Message>& messages);

// Puts reaction rows of room `room` (REACTION_ROWS_SQL's order) onto that room's messages: one
// Reaction per emoji in the order the emoji was first used, its count, and its first users.
void attach_reactions(std::vector<Message>& messages, int64_t room, const std::vector<ReactionRow>& rows);

// The seqs of the messages of room `room`, and any list of ids, as the text of an array
// parameter: "[3,4,9]" (SQLite's json_each) or "{3,4,9}" (a PostgreSQL bigint[]): one parameter,
// no value spliced into SQL.
std::vector<int64_t> seqs_in(const std::vector<Message>& messages, int64_t room);
std::string json_array(const std::vector<int64_t>& ids);
std::string pg_bigint_array(const std::vector<int64_t>& ids);
// Strings as the text of a PostgreSQL text[] parameter: {"a","b\"c"} (each element quoted,
// backslashes and quotes escaped).
std::string pg_text_array(const std::vector<std::string>& items);

}  // namespace dchat::store
