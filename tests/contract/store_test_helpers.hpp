#pragma once
// Small checks the Store tests share: which StoreError a call throws, whether a name was refused
// as taken, and the seqs or ids of what a call returned.
#include <cstdint>
#include <optional>
#include <set>
#include <vector>

#include "store/store.hpp"

namespace dchat::store::contract {

// The kind of StoreError `action` throws, or nullopt when it throws none.
template <class Action>
std::optional<StoreError::Kind> thrown_kind(Action&& action) {
  try {
    action();
  } catch (const StoreError& e) {
    return e.kind;
  }
  return std::nullopt;
}

// Whether create_user / create_public_room refused the name as taken (or looking taken).
template <class T>
bool is_taken(const NameResult<T>& result) {
  return !result.has_value() && result.error() == NameTaken::taken;
}

inline std::vector<int64_t> seqs_of(const std::vector<Message>& messages) {
  std::vector<int64_t> seqs;
  for (const Message& m : messages) seqs.push_back(m.seq);
  return seqs;
}

inline std::vector<int64_t> range(int64_t first, int64_t last) {
  std::vector<int64_t> out;
  for (int64_t i = first; i <= last; ++i) out.push_back(i);
  return out;
}

inline std::set<int64_t> ids_of(const std::vector<Room>& rooms) {
  std::set<int64_t> ids;
  for (const Room& r : rooms) ids.insert(r.id);
  return ids;
}

}  // namespace dchat::store::contract
