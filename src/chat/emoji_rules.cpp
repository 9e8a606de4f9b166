#include "chat/emoji_rules.hpp"

#include <unicode/uchar.h>
#include <unicode/ustring.h>

#include <vector>

#include "core/utf8.hpp"

namespace dchat::chat {

namespace {

// Whether the UTF-8 `text` is one RGI emoji (ICU's property of strings, ICU 70+).
bool is_rgi(std::string_view text) {
  UErrorCode status = U_ZERO_ERROR;
  std::vector<UChar> utf16(text.size() + 1);
  int32_t length = 0;
  u_strFromUTF8(utf16.data(), static_cast<int32_t>(utf16.size()), &length, text.data(),
                static_cast<int32_t>(text.size()), &status);
  if (U_FAILURE(status) || length == 0) return false;
  return u_stringHasBinaryProperty(utf16.data(), length, UCHAR_RGI_EMOJI);
}

std::string without_vs16(std::string_view text) {
  static constexpr std::string_view kVs16 = "\xEF\xB8\x8F";  // U+FE0F in UTF-8
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (text.substr(i, kVs16.size()) == kVs16) {
      i += kVs16.size();
    } else {
      out += text[i++];
    }
  }
  return out;
}

}  // namespace

std::optional<std::string> canonical_emoji(std::string_view text) {
  if (text.empty() || text.size() > kMaxEmojiBytes || !core::is_valid_utf8(text)) return std::nullopt;
  if (is_rgi(text)) return std::string(text);
  // Keyboards add or leave out U+FE0F: try the text without it, then with one at the end (the
  // RGI form of a text-style character such as U+2764 is the character followed by U+FE0F).
  std::string bare = without_vs16(text);
  if (!bare.empty() && is_rgi(bare)) return bare;
  std::string presented = bare + "\xEF\xB8\x8F";
  if (is_rgi(presented)) return presented;
  return std::nullopt;
}

}  // namespace dchat::chat
