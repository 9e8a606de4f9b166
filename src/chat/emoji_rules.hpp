#pragma once
// What reaction:set accepts as a reaction: one emoji as Unicode recommends it for general
// interchange (RGI_Emoji: single emoji, keycaps, flags, skin tones, ZWJ sequences such as
// "👩‍💻"), never text, never an invented sequence. Checked with ICU's emoji properties of strings
// (ICU is linked for the name rules already) rather than a hand-kept list, so new emoji work as
// ICU learns them.
#include <optional>
#include <string>
#include <string_view>

namespace dchat::chat {

// At most this many bytes: the longest RGI sequences (family ZWJ sequences) are about 35 bytes.
inline constexpr size_t kMaxEmojiBytes = 64;

// The one form a reaction is stored and counted under, or nullopt when `text` is not one
// emoji. Variation selector 16 (U+FE0F) is what keyboards disagree on: "❤" and "❤️" are one
// reaction (the RGI form, "❤️"), and "👍️" is "👍". Anything else must already be RGI.
std::optional<std::string> canonical_emoji(std::string_view text);

}  // namespace dchat::chat
