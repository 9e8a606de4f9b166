#pragma once
// JSON parsing for what clients send. Boost.JSON's parser does the work; this only replaces its
// number conversion: Boost.JSON 1.81 rounds some doubles off by one unit in the last place and
// turns out-of-range numbers (1e400) into infinity, which then serializes as invalid JSON.
// Doubles here are converted with std::from_chars (exact) and out-of-range ones are an error.
#include <boost/json/value.hpp>

#include <string_view>
#include <system_error>

namespace dchat::core {

// Parses one complete JSON text; sets `ec` on malformed input, extra data, nesting deeper than
// 128 levels, or a number outside the range of a double. Unpaired UTF-16 surrogate escapes
// (which JavaScript allows) become U+FFFD.
boost::json::value parse_json(std::string_view text, boost::system::error_code& ec);

}  // namespace dchat::core
