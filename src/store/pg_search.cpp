// PgStore::search_messages: the messages' generated tsvector (schema v6, GIN index), limited to
// the rooms the user may read.
#include <limits>

#include "store/pg_connection.hpp"
#include "store/pg_rows.hpp"
#include "store/pg_store.hpp"

namespace dchat::store {

using namespace pg_rows;

std::vector<Message> PgStore::search_messages(int64_t user_id, const std::vector<std::string>& words,
                                              int64_t before_id, int limit) {
  if (words.empty() || limit <= 0) return {};
  const int64_t bound = before_id <= 0 ? std::numeric_limits<int64_t>::max() : before_id;
  std::string text;
  for (const std::string& word : words) text += (text.empty() ? "" : " ") + word;
  // plainto_tsquery: "all of these words", whatever characters they hold (no query syntax).
  return with_reactions(read_messages(db_->query(
      DCHAT_MESSAGE_SELECT
      "JOIN rooms r ON r.id = m.room_id "
      "WHERE m.search @@ plainto_tsquery('simple', $1) AND m.id < $3 "
      "AND (r.kind = 'public' OR EXISTS (SELECT 1 FROM room_members rm WHERE rm.room_id = m.room_id "
      "AND rm.user_id = $2)) "
      "ORDER BY m.id DESC LIMIT $4",
      {text, user_id, bound, int64_t{limit}})));
}

// The GIN index is kept by each insert (a generated column), batched by its pending list.
size_t PgStore::index_search(size_t) { return 0; }

}  // namespace dchat::store
