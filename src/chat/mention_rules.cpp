#include "chat/mention_rules.hpp"

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <cstdint>

#include "chat/name_rules.hpp"
#include "store/name_key.hpp"

namespace dchat::chat {

namespace {

// A name is at most 32 characters of at most 4 bytes; anything longer names nobody.
constexpr size_t kMaxNameBytes = kMaxNameCharacters * 4;

// Sentence punctuation that may follow a mention without being part of the name.
constexpr std::string_view kTrailingPunctuation = ".,;:!?)]}'\"*_~>";

// Whether the character before byte `i` makes an '@' there part of something else: a word or
// an address ("alice@example.com", "x.@bob", "a/@b", "mailto:@b"), as web/markdown.js reads it.
bool glued(std::string_view text, size_t i) {
  if (i == 0) return false;
  const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());
  auto at = static_cast<int32_t>(i);
  UChar32 c = 0;
  U8_PREV(bytes, 0, at, c);
  if (c < 0) return true;
  if (c == '_' || c == '.' || c == '/' || c == ':' || u_isalnum(c)) return true;
  const auto type = static_cast<UCharCategory>(u_charType(c));
  return type == U_NON_SPACING_MARK || type == U_COMBINING_SPACING_MARK || type == U_ENCLOSING_MARK;
}

// Where the token that starts at `i` ends: white space, '@' or '`'.
size_t token_end(std::string_view text, size_t i) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());
  const auto length = static_cast<int32_t>(text.size());
  auto at = static_cast<int32_t>(i);
  while (at < length) {
    const int32_t start = at;
    UChar32 c = 0;
    U8_NEXT(bytes, at, length, c);
    if (c < 0 || c == '@' || c == '`' || u_isUWhiteSpace(c)) return static_cast<size_t>(start);
  }
  return text.size();
}

// Past code that starts at `i`, or past the run of backticks alone when nothing closes it: a
// span of n backticks closes at a run of exactly n; a block (3 or more) at a run of at least n,
// as web/markdown.js renders them.
size_t skip_code(std::string_view text, size_t i) {
  const size_t run = text.find_first_not_of('`', i);
  const size_t n = (run == std::string_view::npos ? text.size() : run) - i;
  for (size_t at = i + n; at < text.size();) {
    const size_t open = text.find('`', at);
    if (open == std::string_view::npos) break;
    const size_t close = std::min(text.find_first_not_of('`', open), text.size());
    if (close - open == n || (n >= 3 && close - open > n)) return close;
    at = close;
  }
  return i + n;
}

class Collector {
 public:
  void name(std::string_view raw) {
    if (raw.empty() || raw.size() > kMaxNameBytes || request_.name_keys.size() >= kMaxMentionNames) return;
    const auto normalized = normalize_name(raw);
    if (!normalized) return;
    std::string key = store::name_key(*normalized);
    auto& keys = request_.name_keys;
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(std::move(key));
  }

  // A plain @name: without the sentence punctuation after it (a name that ends in punctuation
  // is mentioned as @[name.]).
  void token(std::string_view token) {
    while (!token.empty() && kTrailingPunctuation.find(token.back()) != std::string_view::npos) token.remove_suffix(1);
    if (token.size() == 4 && std::equal(token.begin(), token.end(), "room", [](char a, char b) {
          return (a | 0x20) == b;
        })) {
      request_.room = true;
      return;
    }
    name(token);
  }

  store::MentionRequest take() { return std::move(request_); }

 private:
  store::MentionRequest request_;
};

}  // namespace

store::MentionRequest mentions_in(std::string_view text) {
  Collector found;
  // Most messages mention nobody: one scan for '@' and done.
  if (text.find('@') == std::string_view::npos) return found.take();
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '`') {
      i = skip_code(text, i);
      continue;
    }
    if (c != '@' || glued(text, i)) {
      ++i;
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '[') {
      const size_t close = text.find(']', i + 2);
      const std::string_view name = close == std::string_view::npos ? std::string_view() : text.substr(i + 2, close - i - 2);
      if (!name.empty() && name.size() <= kMaxNameBytes && name.find('\n') == std::string_view::npos) {
        found.name(name);
        i = close + 1;
        continue;
      }
    }
    const size_t end = token_end(text, i + 1);
    found.token(text.substr(i + 1, end - i - 1));
    i = std::max(end, i + 1);
  }
  return found.take();
}

}  // namespace dchat::chat
