// SqliteStore::search_messages: FTS5 over message text (schema v6), limited to the rooms the user
// may read; index_search: new messages reach the index in batches (schema v8).
#include <cctype>
#include <limits>

#include "store/sqlite_connection.hpp"
#include "store/sqlite_rows.hpp"
#include "store/sqlite_store.hpp"
#include "store/sqlite_transaction.hpp"

namespace dchat::store {

using namespace sqlite_rows;

namespace {

// An FTS5 query that means "all of these words": each word as an FTS5 string ("..."), so no
// character of it is read as query syntax, joined by spaces (AND). A string holding two tokens
// would be a phrase query, which the index (detail=none, schema v6) cannot answer, so a word is
// first cut at ASCII spaces and punctuation, where the unicode61 tokenizer cuts it too. (The chat
// passes letters, digits and marks only: search_words.hpp; a caller passing more gets its words
// cut the same way, never an error or query syntax.)
std::string all_words(const std::vector<std::string>& words) {
  std::string query;
  auto add = [&query](const std::string& token) {
    if (token.empty()) return;
    if (!query.empty()) query += ' ';
    query += '"' + token + '"';
  };
  for (const std::string& word : words) {
    std::string token;
    for (char c : word) {
      const auto byte = static_cast<unsigned char>(c);
      if (byte < 0x80 && !std::isalnum(byte)) {
        add(token);
        token.clear();
      } else {
        token += c;
      }
    }
    add(token);
  }
  return query;
}

}  // namespace

size_t SqliteStore::index_search(size_t limit) {
  SqliteTransaction tx(*db_);
  int64_t from = 0;
  int64_t to = 0;
  int64_t count = 0;
  {
    auto q = db_->query(
        "SELECT s.id, (SELECT max(id) FROM (SELECT id FROM messages WHERE id > s.id ORDER BY id LIMIT ?1)), "
        "(SELECT count(*) FROM (SELECT id FROM messages WHERE id > s.id ORDER BY id LIMIT ?1)) FROM search_indexed s");
    q.bind(1, static_cast<int64_t>(limit));
    if (!q.step()) throw StoreError(StoreError::Kind::unavailable, "sqlite: search_indexed has no row");
    from = q.int64(0);
    to = q.int64(1);
    count = q.int64(2);
  }
  if (count == 0) return 0;
  // The text as it is now: an edit or delete made before indexing needs no trigger (they only
  // fire for messages at or below the watermark, which are in the index).
  auto insert = db_->query("INSERT INTO messages_fts (rowid, text) SELECT id, text FROM messages WHERE id > ?1 AND id <= ?2");
  insert.bind(1, from).bind(2, to).run();
  auto mark = db_->query("UPDATE search_indexed SET id = ?1");
  mark.bind(1, to).run();
  tx.commit();
  return static_cast<size_t>(count);
}

std::vector<Message> SqliteStore::search_messages(int64_t user_id, const std::vector<std::string>& words,
                                                  int64_t before_id, int limit) {
  const std::string match = all_words(words);
  if (match.empty() || limit <= 0) return {};
  const int64_t bound = before_id <= 0 ? std::numeric_limits<int64_t>::max() : before_id;
  auto q = db_->query(DCHAT_MESSAGE_SELECT
                      "JOIN rooms r ON r.id = m.room_id "
                      "WHERE m.id IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?1 AND rowid < ?3) "
                      "AND (r.kind = 'public' OR EXISTS (SELECT 1 FROM room_members rm "
                      "WHERE rm.room_id = m.room_id AND rm.user_id = ?2)) "
                      "ORDER BY m.id DESC LIMIT ?4");
  q.bind(1, match).bind(2, user_id).bind(3, bound).bind(4, int64_t{limit});
  std::vector<Message> found;
  while (q.step()) found.push_back(read_message(q));
  return with_reactions(std::move(found));
}

}  // namespace dchat::store
