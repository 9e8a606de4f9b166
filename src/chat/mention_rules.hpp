#pragma once
// Who a message's text mentions (issue #13), as the chat reads it:
// - `@name`: the name runs to the next white space, without the sentence punctuation after it
//   ("thanks @bob.", "(@bob)"); a name that ends in punctuation is mentioned as `@[name.]`;
// - `@[name with spaces]`: any name, spaces included;
// - `@room`: everyone in the room (any case; a user named "room" is mentioned as `@[room]`);
// - not inside code (`...` spans and ``` blocks, as the web UI renders them), and not glued to
//   what comes before ("alice@example.com", "x.@bob", "a/@b" mention nobody).
// Names are compared as the store compares them (NFKC by the name rules, then name_key), and
// only names that are valid user names are looked up. At most kMaxMentionNames different names
// are taken from one message; the rest mention nobody. Whether a name is a member of the room
// is the store's business (Store::set_mentions stores members only).
#include <cstddef>
#include <string_view>

#include "store/store.hpp"

namespace dchat::chat {

inline constexpr size_t kMaxMentionNames = 20;

// What `text` (valid UTF-8) asks to mention; room_limit is left 0 for the caller to set.
store::MentionRequest mentions_in(std::string_view text);

}  // namespace dchat::chat
