#include "chat/message_rules.hpp"

#include <chrono>

#include "core/utf8.hpp"

namespace dchat::chat {

std::optional<std::string> normalize_message_text(std::string_view raw) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!raw.empty() && is_space(raw.front())) raw.remove_prefix(1);
  while (!raw.empty() && is_space(raw.back())) raw.remove_suffix(1);
  if (raw.empty() || !core::is_valid_utf8(raw)) return std::nullopt;
  size_t characters = 0;
  for (unsigned char c : raw) {
    // Control characters other than tab and line breaks have no place in a message (and
    // PostgreSQL refuses NUL in text), so they are refused the same way on every store.
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) return std::nullopt;
    if ((c & 0xC0) != 0x80) ++characters;
  }
  if (characters > kMaxMessageCharacters) return std::nullopt;
  return std::string(raw);
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace dchat::chat
