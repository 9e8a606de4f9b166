#include "chat/name_rules.hpp"

#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/uspoof.h>
#include <unicode/utf8.h>

#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <utility>
#include <vector>

#include "core/nfkc.hpp"
#include "core/utf8.hpp"

namespace dchat::chat {

namespace {

// Far more than 32 characters can take (4 bytes each, plus spaces to trim): longer input is
// refused before any Unicode work is spent on it.
constexpr size_t kMaxRawBytes = 1024;

// U+2800 BRAILLE PATTERN BLANK renders as an empty cell but is a symbol (So), not White_Space or
// default-ignorable, so no Unicode property catches it; it is the usual "invisible name".
constexpr UChar32 kBrailleBlank = 0x2800;

std::string code_point_label(UChar32 c) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "U+%04X", static_cast<unsigned>(c));
  return buffer;
}

// `text` must be valid UTF-8.
std::vector<UChar32> code_points(std::string_view text) {
  std::vector<UChar32> out;
  const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());
  const auto length = static_cast<int32_t>(text.size());
  int32_t i = 0;
  while (i < length) {
    UChar32 c = 0;
    U8_NEXT(bytes, i, length, c);  // valid UTF-8, so c >= 0
    out.push_back(c);
  }
  return out;
}

std::string to_utf8(const std::vector<UChar32>& text, size_t begin, size_t end) {
  std::string out;
  for (size_t i = begin; i < end; ++i) {
    uint8_t buffer[U8_MAX_LENGTH];
    int32_t length = 0;
    U8_APPEND_UNSAFE(buffer, length, text[i]);  // a scalar value decoded above: at most 4 bytes
    out.append(reinterpret_cast<const char*>(buffer), static_cast<size_t>(length));
  }
  return out;
}

// Trimmed: space separators (after NFKC nearly all of them are U+0020) and the tab and line
// breaks clients send by accident. Not every White_Space character: U+0085 (a C1 control) and
// U+2028/2029 are refused, not quietly dropped.
bool trimmable(UChar32 c) {
  return c == '\t' || c == '\n' || c == '\r' || u_charType(c) == U_SPACE_SEPARATOR;
}

// Why `c` may not appear in a name, or "" when it may.
std::string refused_character(UChar32 c) {
  const auto type = static_cast<UCharCategory>(u_charType(c));
  const std::string label = " (" + code_point_label(c) + ")";
  if (type == U_CONTROL_CHAR) return "contains a control character" + label;
  if (type == U_LINE_SEPARATOR || type == U_PARAGRAPH_SEPARATOR) return "contains a line or paragraph separator" + label;
  if (u_hasBinaryProperty(c, UCHAR_BIDI_CONTROL)) {
    return "contains a bidirectional control character" + label + ", which can reorder the text around it";
  }
  if (type == U_FORMAT_CHAR) return "contains an invisible formatting character" + label;
  if (type == U_SURROGATE) return "contains a surrogate code point" + label;
  if (type == U_PRIVATE_USE_CHAR) return "contains a private-use character" + label;
  if (type == U_UNASSIGNED) return "contains an unassigned code point" + label;
  if (u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT)) return "contains an invisible character" + label;
  if (c == kBrailleBlank) return "contains a blank character" + label;
  return "";
}

// Something that shows: a letter, digit, punctuation or symbol (emoji are symbols). What is
// left (spaces, combining marks) cannot make a name on its own.
bool visible(UChar32 c) {
  return (U_GET_GC_MASK(c) & (U_GC_L_MASK | U_GC_N_MASK | U_GC_P_MASK | U_GC_S_MASK)) != 0;
}

// "Latin and Cyrillic": the scripts of the name's letters, for the mixed-script message.
std::string script_list(const std::vector<UChar32>& text) {
  std::vector<UScriptCode> scripts;
  for (UChar32 c : text) {
    UErrorCode status = U_ZERO_ERROR;
    const UScriptCode script = uscript_getScript(c, &status);
    if (U_FAILURE(status) || script == USCRIPT_COMMON || script == USCRIPT_INHERITED) continue;
    bool seen = false;
    for (UScriptCode s : scripts) seen = seen || s == script;
    if (!seen) scripts.push_back(script);
  }
  std::string out;
  for (size_t i = 0; i < scripts.size(); ++i) {
    if (i > 0) out += i + 1 == scripts.size() ? " and " : ", ";
    out += uscript_getName(scripts[i]);
  }
  return out;
}

// Configured once; ICU documents uspoof_check on a configured checker as thread-safe.
const USpoofChecker& spoof_checker() {
  static const USpoofChecker* const checker = [] {
    UErrorCode status = U_ZERO_ERROR;
    USpoofChecker* opened = uspoof_open(&status);
    uspoof_setChecks(opened,
                     USPOOF_RESTRICTION_LEVEL | USPOOF_MIXED_NUMBERS | USPOOF_INVISIBLE | USPOOF_HIDDEN_OVERLAY,
                     &status);
    // Moderately restrictive, as UTS #39 recommends for identifiers: Latin + Han/Kana/Hangul
    // ("yuki ゆき") and Latin + one other script that does not look like Latin ("Ali علي") pass.
    uspoof_setRestrictionLevel(opened, USPOOF_MODERATELY_RESTRICTIVE);
    if (U_FAILURE(status)) throw std::runtime_error(std::string("ICU uspoof_open: ") + u_errorName(status));
    return opened;
  }();
  return *checker;
}

// What UTS #39's checks find wrong with the name, or "".
std::string spoof_problem(const std::string& name, const std::vector<UChar32>& text) {
  UErrorCode status = U_ZERO_ERROR;
  const int32_t found =
      uspoof_checkUTF8(&spoof_checker(), name.data(), static_cast<int32_t>(name.size()), nullptr, &status);
  if (U_FAILURE(status)) throw std::runtime_error(std::string("ICU uspoof_check: ") + u_errorName(status));
  if (found & USPOOF_RESTRICTION_LEVEL) {
    const std::string scripts = script_list(text);
    return "mixes " + (scripts.empty() ? std::string("scripts") : scripts + " letters") +
           ", which can pass for each other (use one script, or Latin with one script that does not look like it)";
  }
  if (found & USPOOF_MIXED_NUMBERS) return "mixes digits of different number systems";
  if (found & USPOOF_HIDDEN_OVERLAY) return "has a combining mark that the letter before it hides (such as i + U+0307)";
  if (found & USPOOF_INVISIBLE) return "repeats a combining mark, which does not show";
  return "";
}

NameCheck refuse(std::string problem) { return NameCheck{"", std::move(problem)}; }

// [begin, end) of `text` without the trimmable characters at either end.
std::pair<size_t, size_t> trimmed(const std::vector<UChar32>& text) {
  size_t begin = 0;
  size_t end = text.size();
  while (begin < end && trimmable(text[begin])) ++begin;
  while (end > begin && trimmable(text[end - 1])) --end;
  return {begin, end};
}

// The first refused character of text[begin, end), described, or "".
std::string first_refused(const std::vector<UChar32>& text, size_t begin, size_t end) {
  for (size_t i = begin; i < end; ++i) {
    if (std::string problem = refused_character(text[i]); !problem.empty()) return problem;
  }
  return "";
}

}  // namespace

// U+FE0E/U+FE0F only choose text or emoji presentation, and phone keyboards add U+FE0F to many
// emoji ("❤️"): dropped rather than refused (they cannot hide anything: nothing follows them
// that they could change but the symbol they belong to).
std::string without_presentation_selectors(std::string_view raw) {
  static constexpr std::string_view kText = "\xEF\xB8\x8E", kEmoji = "\xEF\xB8\x8F";
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size();) {
    const std::string_view rest = raw.substr(i);
    if (rest.starts_with(kText) || rest.starts_with(kEmoji)) {
      i += 3;
      continue;
    }
    out.push_back(raw[i++]);
  }
  return out;
}

NameCheck check_name(std::string_view input) {
  const std::string too_long = "is too long (at most " + std::to_string(kMaxNameCharacters) + " characters)";
  if (input.size() > kMaxRawBytes) return refuse(too_long);
  if (!core::is_valid_utf8(input)) return refuse("is not valid UTF-8");
  const std::string stripped = without_presentation_selectors(input);
  const std::string_view raw = stripped;
  {
    // The characters as typed first, so the message names what the user sent (NFKC turns
    // U+3164 into U+1160, for one).
    const std::vector<UChar32> typed = code_points(raw);
    const auto [begin, end] = trimmed(typed);
    if (std::string problem = first_refused(typed, begin, end); !problem.empty()) return refuse(std::move(problem));
  }
  const std::optional<std::string> normal = core::nfkc(raw);
  if (!normal) return refuse("is not valid UTF-8");

  // Then what NFKC made of them: it can produce refused characters from accepted ones.
  const std::vector<UChar32> all = code_points(*normal);
  const auto [begin, end] = trimmed(all);
  if (begin == end) return refuse("is empty");
  if (std::string problem = first_refused(all, begin, end); !problem.empty()) return refuse(std::move(problem));
  if (end - begin > kMaxNameCharacters) return refuse(too_long);
  bool shows = false;
  for (size_t i = begin; i < end; ++i) shows = shows || visible(all[i]);
  if (!shows) return refuse("has nothing visible (only spaces and combining marks)");

  const std::vector<UChar32> text(all.begin() + static_cast<std::ptrdiff_t>(begin),
                                  all.begin() + static_cast<std::ptrdiff_t>(end));
  std::string name = to_utf8(all, begin, end);
  if (std::string problem = spoof_problem(name, text); !problem.empty()) return refuse(std::move(problem));
  return NameCheck{std::move(name), ""};
}

std::optional<std::string> normalize_name(std::string_view raw) {
  NameCheck check = check_name(raw);
  if (!check.ok()) return std::nullopt;
  return std::move(check.name);
}

}  // namespace dchat::chat
