#pragma once
// What a user or room name may be (issue #9: names must not impersonate). Both kinds of name
// follow the same rules:
//
// 1. NFKC-normalised (ICU): "ＡＬＩＣＥ" is "ALICE", "e" + U+0301 is "é"; then spaces (and tab,
//    CR, LF) at either end are trimmed.
// 2. Refused anywhere in the name: control characters (C0 and C1), line/paragraph separators,
//    bidirectional controls (U+202A..202E, U+2066..2069, U+200E/F, U+061C), other format
//    characters (zero-width space/joiners, soft hyphen, ...), private-use, unassigned and
//    default-ignorable code points (Hangul fillers, variation selectors, ...), and U+2800, the
//    blank Braille pattern: the one blank glyph Unicode does not class as white space.
// 3. 1 to 32 characters (code points) after normalisation, at least one of them visible (a
//    letter, digit, punctuation or symbol), so a name cannot be empty, only spaces or only
//    combining marks.
// 4. ICU's UTS #39 spoof checks: the name is at most "moderately restrictive" (one script, or
//    Latin with one other script that does not look like it: Latin + Cyrillic, Greek or Cherokee
//    is refused because those letters pass for Latin ones, as in "аlice" with a Cyrillic а), does
//    not mix digits of different number systems, repeat a combining mark or hide one (i + U+0307).
//
// Whether a name is *free* is the store's business: names that look alike (equal UTS #39
// skeletons, store/name_skeleton.hpp) are one name there.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace dchat::chat {

inline constexpr size_t kMaxNameCharacters = 32;

struct NameCheck {
  std::string name;     // the normalised name; empty when refused
  std::string problem;  // empty when acceptable; else what is wrong, worded to follow "the name "
  bool ok() const { return problem.empty(); }
};

NameCheck check_name(std::string_view raw);

// check_name's name, or nullopt when it is refused.
std::optional<std::string> normalize_name(std::string_view raw);

}  // namespace dchat::chat
