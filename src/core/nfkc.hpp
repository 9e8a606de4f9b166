#pragma once
// Unicode NFKC normalisation (ICU) of UTF-8 text: compatibility characters become their plain
// forms (fullwidth "ＡＢＣ" → "ABC", "ﬁ" → "fi", NBSP → space) and accents are composed ("e" +
// U+0301 → "é"), so text that looks the same is usually stored the same. Used for names (chat
// name rules, and the store's migration that brings older names into this form).
#include <optional>
#include <string>
#include <string_view>

namespace dchat::core {

// The NFKC form of `text`, or nullopt when it is not valid UTF-8.
std::optional<std::string> nfkc(std::string_view text);

}  // namespace dchat::core
