#pragma once
// The key that makes user and room names unique case-insensitively: the name with letters folded
// to lower case. Computed here rather than with SQL's lower(), which folds ASCII only, so the
// rule is the same in every database (a PostgreSQL store can call this too; it has nothing
// SQLite-specific and could move to store/ as is).
//
// The fold is Unicode simple case folding for the alphabets chat names mostly use: ASCII,
// Latin-1, Latin Extended-A, Greek, Cyrillic (U+0400-U+042F) and fullwidth Latin. Letters of
// other scripts, and text that is not valid UTF-8, are kept byte for byte. There is no Unicode
// normalization: a precomposed "é" and "e" + combining accent are different names. Full folds
// that change length (German "ß" vs "SS") are not applied.
#include <string>
#include <string_view>

namespace dchat::store {

std::string name_key(std::string_view name);

}  // namespace dchat::store
