#pragma once
// What a valid chat message is: 1-4000 characters (code points) of UTF-8 after trimming.
#include <optional>
#include <string>
#include <string_view>

namespace dchat::chat {

inline constexpr size_t kMaxMessageCharacters = 4000;
inline constexpr size_t kMaxClientIdBytes = 64;
inline constexpr int kHistoryPage = 50;

// The trimmed text, or nullopt when empty, too long or not valid UTF-8.
std::optional<std::string> normalize_message_text(std::string_view raw);

int64_t now_ms();

}  // namespace dchat::chat
