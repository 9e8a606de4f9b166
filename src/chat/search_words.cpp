#include "chat/search_words.hpp"

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <cstdint>

namespace dchat::chat {

namespace {

bool part_of_word(UChar32 c) {
  const auto type = static_cast<UCharCategory>(u_charType(c));
  return u_isalnum(c) || type == U_NON_SPACING_MARK || type == U_COMBINING_SPACING_MARK ||
         type == U_ENCLOSING_MARK;
}

}  // namespace

std::optional<std::vector<std::string>> search_words(std::string_view query) {
  if (query.size() > kMaxSearchQueryBytes) return std::nullopt;
  const auto* bytes = reinterpret_cast<const uint8_t*>(query.data());
  const auto length = static_cast<int32_t>(query.size());
  std::vector<std::string> words;
  std::string word;
  auto finish = [&] {
    if (!word.empty() && words.size() < kMaxSearchWords &&
        std::find(words.begin(), words.end(), word) == words.end())
      words.push_back(word);
    word.clear();
  };
  int32_t i = 0;
  while (i < length) {
    const int32_t start = i;
    UChar32 c = 0;
    U8_NEXT(bytes, i, length, c);
    if (c < 0) return std::nullopt;
    if (part_of_word(c)) {
      word.append(query.substr(static_cast<size_t>(start), static_cast<size_t>(i - start)));
    } else {
      finish();
    }
  }
  finish();
  if (words.empty()) return std::nullopt;
  return words;
}

}  // namespace dchat::chat
