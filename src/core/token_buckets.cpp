#include "core/token_buckets.hpp"

#include <algorithm>
#include <cmath>

namespace dchat::core {

template <typename Key>
std::chrono::milliseconds BasicTokenBuckets<Key>::take(const Key& key, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_keys_) prune(now);
    it = buckets_.emplace(key, Bucket{burst_, now}).first;
  }
  Bucket& b = it->second;
  const double elapsed = std::chrono::duration<double>(now - b.at).count();
  b.tokens = std::min(burst_, b.tokens + std::max(0.0, elapsed) * rate_);
  b.at = now;
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return std::chrono::milliseconds(0);
  }
  return std::chrono::milliseconds(static_cast<int64_t>(std::ceil((1.0 - b.tokens) / rate_ * 1000.0)));
}

template <typename Key>
void BasicTokenBuckets<Key>::give_back(const Key& key) {
  std::lock_guard lock(mutex_);
  // A bucket pruned meanwhile was full already: nothing to give back to.
  if (auto it = buckets_.find(key); it != buckets_.end()) it->second.tokens = std::min(burst_, it->second.tokens + 1.0);
}

template <typename Key>
size_t BasicTokenBuckets<Key>::size() const {
  std::lock_guard lock(mutex_);
  return buckets_.size();
}

template <typename Key>
void BasicTokenBuckets<Key>::prune(Clock::time_point now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    const double elapsed = std::chrono::duration<double>(now - it->second.at).count();
    it = it->second.tokens + elapsed * rate_ >= burst_ ? buckets_.erase(it) : std::next(it);
  }
  if (buckets_.size() >= max_keys_) buckets_.clear();
}

template class BasicTokenBuckets<int64_t>;
template class BasicTokenBuckets<std::string>;

}  // namespace dchat::core
