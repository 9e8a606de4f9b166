#pragma once
// What a search finds by: the words of what the user typed. A word is a run of letters, digits
// and combining marks (ICU's character properties); everything else separates words, so no
// character ever reaches a store as query syntax (FTS5 or tsquery operators, quotes, '*').
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dchat::chat {

inline constexpr size_t kMaxSearchQueryBytes = 200;
inline constexpr size_t kMaxSearchWords = 10;

// The words of `query` (at most kMaxSearchWords, in order, duplicates dropped); nullopt when the
// query is not valid UTF-8, longer than kMaxSearchQueryBytes, or holds no word.
std::optional<std::vector<std::string>> search_words(std::string_view query);

}  // namespace dchat::chat
