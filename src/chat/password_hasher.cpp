#include "chat/password_hasher.hpp"

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include "chat/credentials.hpp"
#include "core/log_throttle.hpp"

namespace dchat::chat {

namespace {
// Linux: niceness is per thread, so this lowers only the calling one. Raising it needs no privilege.
void lower_thread_priority() { ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 10); }
}  // namespace

PasswordHasher::PasswordHasher(size_t threads, size_t max_queue) : jobs_(max_queue) {
  if (threads == 0) threads = 1;
  for (size_t i = 0; i < threads; ++i)
    jobs_.spawn_worker([](Job& job) { job.run(HashRefusal::none); }, &lower_thread_priority);
}

PasswordHasher::~PasswordHasher() { answer(jobs_.stop(), HashRefusal::stopping); }

void PasswordHasher::close_queue() { answer(jobs_.close(), HashRefusal::stopping); }

void PasswordHasher::answer(core::BoundedWorkQueue<Job>::Jobs jobs, HashRefusal refusal) {
  for (auto& job : jobs) job->run(refusal);
}

void PasswordHasher::submit(std::unique_ptr<Job> job) {
  job->counted_by = &jobs_;
  const auto pushed = jobs_.push(job);
  if (pushed == core::BoundedWorkQueue<Job>::Push::queued) return;
  // Refused: never counted; completes at once (posted to the caller's executor, never run inline).
  job->counted_by = nullptr;
  const bool stopping = pushed == core::BoundedWorkQueue<Job>::Push::closed;
  if (!stopping)
    CHAT_LOG_THROTTLED(spdlog::level::warn, "auth: {} password hashes queued, refusing a sign-in", jobs_.capacity());
  job->run(stopping ? HashRefusal::stopping : HashRefusal::overloaded);
}

std::function<std::string()> PasswordHasher::hash_job(std::string password) {
  return [password = std::move(password)] { return hash_password(password); };
}

std::function<bool()> PasswordHasher::verify_job(std::string hash, std::string password) {
  return [hash = std::move(hash), password = std::move(password)] { return verify_password(hash, password); };
}

}  // namespace dchat::chat
