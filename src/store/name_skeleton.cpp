#include "store/name_skeleton.hpp"

#include <unicode/normalizer2.h>
#include <unicode/stringpiece.h>
#include <unicode/unistr.h>
#include <unicode/uspoof.h>

#include <algorithm>
#include <cstdint>

#include "store/store.hpp"

namespace dchat::store {

namespace {

// ICU only fails here when its data is missing or memory ran out: the store cannot key names.
[[noreturn]] void icu_failed(const char* what, UErrorCode status) {
  throw StoreError(StoreError::Kind::unavailable, std::string("ICU ") + what + ": " + u_errorName(status));
}

// One checker for the process: ICU documents uspoof_getSkeleton on a configured checker as safe
// to call from several threads at once, and opening one loads the confusables data.
const USpoofChecker& skeleton_checker() {
  static const USpoofChecker* const checker = [] {
    UErrorCode status = U_ZERO_ERROR;
    USpoofChecker* opened = uspoof_open(&status);
    if (U_FAILURE(status)) icu_failed("uspoof_open", status);
    return opened;
  }();
  return *checker;
}

}  // namespace

std::string name_skeleton(std::string_view name) {
  UErrorCode status = U_ZERO_ERROR;
  // NFKC_Casefold first: UTS #39 skeletons do not fold case ("ALICE" and "alice" have different
  // skeletons) and the confusables table is not closed under NFKC; this also drops default
  // ignorable code points, which the name rules refuse but older rows may contain.
  const icu::Normalizer2* fold = icu::Normalizer2::getNFKCCasefoldInstance(status);
  if (U_FAILURE(status)) icu_failed("NFKC_Casefold", status);
  const auto length = static_cast<int32_t>(std::min<size_t>(name.size(), INT32_MAX));
  const icu::UnicodeString folded =
      fold->normalize(icu::UnicodeString::fromUTF8(icu::StringPiece(name.data(), length)), status);
  icu::UnicodeString skeleton;
  uspoof_getSkeletonUnicodeString(&skeleton_checker(), 0, folded, skeleton, &status);
  if (U_FAILURE(status)) icu_failed("uspoof_getSkeleton", status);
  std::string out;
  skeleton.toUTF8String(out);
  return out;
}

}  // namespace dchat::store
