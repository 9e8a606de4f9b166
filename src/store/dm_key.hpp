#pragma once
// A direct conversation's dm_key: "<smaller user id>:<larger user id>", so (a, b) and (b, a) name
// the same room (both stores' UNIQUE column).
#include <charconv>
#include <cstdint>
#include <string>
#include <vector>

namespace dchat::store {

inline std::string make_dm_key(int64_t low, int64_t high) { return std::to_string(low) + ":" + std::to_string(high); }

// The two user ids of a dm_key written by make_dm_key (empty when it is not one).
inline std::vector<int64_t> parse_dm_key(const std::string& key) {
  const size_t colon = key.find(':');
  if (colon == std::string::npos) return {};
  int64_t low = 0;
  int64_t high = 0;
  const char* begin = key.data();
  const char* end = key.data() + key.size();
  if (std::from_chars(begin, begin + colon, low).ec != std::errc{}) return {};
  if (std::from_chars(begin + colon + 1, end, high).ec != std::errc{}) return {};
  return {low, high};
}

}  // namespace dchat::store
