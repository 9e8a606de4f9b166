#include "core/nfkc.hpp"

#include <cstdint>

#include <unicode/normalizer2.h>
#include <unicode/stringpiece.h>
#include <unicode/unistr.h>

#include "core/utf8.hpp"

namespace dchat::core {

std::optional<std::string> nfkc(std::string_view text) {
  // ICU would replace invalid bytes with U+FFFD; refusing them is the caller's business, so say so.
  if (!is_valid_utf8(text) || text.size() > INT32_MAX) return std::nullopt;
  UErrorCode status = U_ZERO_ERROR;
  // A process-wide singleton owned by ICU; thread-safe for normalize().
  const icu::Normalizer2* normalizer = icu::Normalizer2::getNFKCInstance(status);
  if (U_FAILURE(status)) return std::nullopt;
  const icu::UnicodeString input = icu::UnicodeString::fromUTF8(icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  const icu::UnicodeString normal = normalizer->normalize(input, status);
  if (U_FAILURE(status)) return std::nullopt;
  std::string out;
  normal.toUTF8String(out);
  return out;
}

}  // namespace dchat::core
