#pragma once
// UTF-8 validation for WebSocket text frames (RFC 6455 requires closing with 1007 on invalid
// text). Hand-written because no Debian 12 library offers a small standalone validator
// (simdutf is not packaged there) and pulling in ICU for twenty lines is not worth it.
#include <string_view>

namespace dchat::core {

bool is_valid_utf8(std::string_view text) noexcept;

}  // namespace dchat::core
