#pragma once
// The per-key table behind limits that count attempts still running (chat/rate_limiter.hpp,
// chat/sign_in_slowdown.hpp): each key's Entry is an AttemptCounts plus whatever its limit needs
// (a window, a next allowed time). The limit supplies the
// rules; the table keeps what they share:
// - admit() counts the attempt in flight when the rule lets it start;
// - end() stops counting it, lets the rule record how it ended, and forgets an entry left with
//   neither failures nor attempts in flight;
// - it stays bounded: a new key in a full table first drops the entries with nothing in flight
//   that hold no failure or only expired ones, and if that is not enough every entry with nothing
//   in flight (an attack from very many keys resets their counts rather than growing the table;
//   attempts in flight stay counted, there are only as many as requests being served).
// Thread-safe: one lock around every call (rules run under it and must be quick).
#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace dchat::core {

// The counts every entry has.
struct AttemptCounts {
  size_t failures = 0;   // that still count against the key
  size_t in_flight = 0;  // attempts admitted and not yet ended
};

template <typename Entry>
class AttemptTable {
 public:
  explicit AttemptTable(size_t max_keys) : max_keys_(max_keys) {}

  // `wait(entry)` (the key's entry, made empty if absent) answers zero to let the attempt start
  // (it is then counted in flight) or how long to wait. `expired(entry)`: whether an entry's
  // failures no longer count (used to make room).
  template <typename Wait, typename Expired>
  std::chrono::seconds admit(const std::string& key, Wait&& wait, Expired&& expired) {
    std::lock_guard lock(mutex_);
    if (entries_.size() >= max_keys_ && !entries_.contains(key)) make_room(expired);
    Entry& e = entries_[key];
    const std::chrono::seconds answer = wait(e);
    if (answer.count() == 0) ++e.in_flight;
    return answer;
  }

  // An admitted attempt of `key` ended: no longer in flight, then `record(entry)`. Nothing when
  // the entry was forgotten meanwhile (see make_room).
  template <typename Record>
  void end(const std::string& key, Record&& record) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return;
    Entry& e = it->second;
    if (e.in_flight > 0) --e.in_flight;
    record(e);
    if (e.failures == 0 && e.in_flight == 0) entries_.erase(it);
  }

  // Entries held (tests: the table stays bounded).
  size_t size() const {
    std::lock_guard lock(mutex_);
    return entries_.size();
  }

 private:
  template <typename Expired>
  void make_room(Expired& expired) {
    std::erase_if(entries_, [&](const auto& kv) {
      const Entry& e = kv.second;
      return e.in_flight == 0 && (e.failures == 0 || expired(e));
    });
    if (entries_.size() >= max_keys_) std::erase_if(entries_, [](const auto& kv) { return kv.second.in_flight == 0; });
  }

  const size_t max_keys_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace dchat::core
