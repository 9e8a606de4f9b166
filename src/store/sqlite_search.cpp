// SqliteStore::search_messages: FTS5 over message text (schema v6), limited to the rooms the user
// may read.
#include <limits>

#include "store/sqlite_connection.hpp"
#include "store/sqlite_rows.hpp"
#include "store/sqlite_store.hpp"

namespace dchat::store {

using namespace sqlite_rows;

namespace {

// An FTS5 query that means "all of these words": each word as an FTS5 string ("..."), so no
// character of it is read as query syntax (the words are letters and digits already; a quote
// would be doubled all the same), joined by spaces (AND).
std::string all_words(const std::vector<std::string>& words) {
  std::string query;
  for (const std::string& word : words) {
    if (!query.empty()) query += ' ';
    query += '"';
    for (char c : word) {
      if (c == '"') query += '"';
      query += c;
    }
    query += '"';
  }
  return query;
}

}  // namespace

std::vector<Message> SqliteStore::search_messages(int64_t user_id, const std::vector<std::string>& words,
                                                  int64_t before_id, int limit) {
  if (words.empty() || limit <= 0) return {};
  const int64_t bound = before_id <= 0 ? std::numeric_limits<int64_t>::max() : before_id;
  auto q = db_->query(DCHAT_MESSAGE_SELECT
                      "JOIN rooms r ON r.id = m.room_id "
                      "WHERE m.id IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?1 AND rowid < ?3) "
                      "AND (r.kind = 'public' OR EXISTS (SELECT 1 FROM room_members rm "
                      "WHERE rm.room_id = m.room_id AND rm.user_id = ?2)) "
                      "ORDER BY m.id DESC LIMIT ?4");
  q.bind(1, all_words(words)).bind(2, user_id).bind(3, bound).bind(4, int64_t{limit});
  std::vector<Message> found;
  while (q.step()) found.push_back(read_message(q));
  // Reactions are read per room (with_reactions): group them.
  std::vector<Message> out;
  out.reserve(found.size());
  for (auto& m : found) {
    std::vector<Message> one{std::move(m)};
    out.push_back(std::move(with_reactions(std::move(one)).front()));
  }
  return out;
}

}  // namespace dchat::store
