#include "chat/password_hasher.hpp"

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include "chat/credentials.hpp"
#include "core/log_throttle.hpp"

namespace dchat::chat {

PasswordHasher::PasswordHasher(size_t threads, size_t max_queue) : max_queue_(max_queue) {
  if (threads == 0) threads = 1;
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { worker(); });
}

PasswordHasher::~PasswordHasher() {
  std::deque<std::unique_ptr<Job>> left;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_all();
  for (auto& t : threads_) t.join();
  {
    std::lock_guard lock(mutex_);
    left.swap(queue_);
  }
  for (auto& job : left) job->run(HashRefusal::stopping);
}

void PasswordHasher::close_queue() {
  std::deque<std::unique_ptr<Job>> left;
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    left.swap(queue_);
  }
  for (auto& job : left) job->run(HashRefusal::stopping);
}

size_t PasswordHasher::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void PasswordHasher::submit(std::unique_ptr<Job> job) {
  bool stopping = false;
  {
    std::lock_guard lock(mutex_);
    stopping = stopping_ || closed_;
    if (!stopping && queue_.size() < max_queue_) {
      ++in_flight_;
      job->counted = &in_flight_;
      queue_.push_back(std::move(job));
      ready_.notify_one();
      return;
    }
  }
  // Refused: completes at once (posted to the caller's executor, never run inline).
  if (!stopping)
    CHAT_LOG_THROTTLED(spdlog::level::warn, "auth: {} password hashes queued, refusing a sign-in", max_queue_);
  job->run(stopping ? HashRefusal::stopping : HashRefusal::overloaded);
}

void PasswordHasher::worker() {
  // Linux: niceness is per thread, so this lowers only this one. Raising it needs no privilege.
  ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 10);
  for (;;) {
    std::unique_ptr<Job> job;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    job->run(HashRefusal::none);
  }
}

std::function<std::string()> PasswordHasher::hash_job(std::string password) {
  return [password = std::move(password)] { return hash_password(password); };
}

std::function<bool()> PasswordHasher::verify_job(std::string hash, std::string password) {
  return [hash = std::move(hash), password = std::move(password)] { return verify_password(hash, password); };
}

}  // namespace dchat::chat
