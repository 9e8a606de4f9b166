#pragma once
// The key that makes names unique by how they look: the Unicode UTS #39 confusable skeleton
// (ICU's USpoofChecker) of the name's NFKC case-folded form. Two names with equal skeletons can
// pass for each other on screen: "alice" and "аlice" (Cyrillic а), "paypal" and "pаypal", "m"
// and "rn", "bob1" and "bobl", "Straße" and "STRASSE". Stores keep it next to name_key (which
// decides which account or room a name *is*) in a UNIQUE column, so a second name that merely
// looks like an existing one cannot be created. Computed here, in C++, for every store: SQL
// cannot compute it.
//
// The skeleton is a comparison key, never shown: it may look odd ("rnodern" for "modern"), and
// ICU may change it between Unicode versions (the store's keys were computed with the ICU the
// rows were written with; a new ICU changes what is refused, not what exists).
#include <string>
#include <string_view>

namespace dchat::store {

// Invalid UTF-8 is compared with U+FFFD in place of the bad bytes.
std::string name_skeleton(std::string_view name);

}  // namespace dchat::store
