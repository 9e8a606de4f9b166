#pragma once
// Password hashing (argon2id: ~64 MiB and tens of milliseconds of CPU each) on a pool of its own:
// `threads` threads and a queue of at most `max_queue` jobs. Before it had one, a flood of
// anonymous sign-ins hashed on the store's workers, and every chat message waited behind the
// hashes (issue #9: 60 sign-ins made another user's message:send ack take 5.8 s). Now a flood
// can only fill this queue; past it a job is refused at once (`overloaded`: answer 503), so the
// memory and the wait a flood can cause are both bounded, and the store never hashes.
//
// The threads run at a lower CPU priority (nice +10) than the event loops and the store workers,
// so that when hashing takes every core, chat traffic still gets the CPU first.
//
// Results are delivered on the caller's executor (the shard that asked), completion-token style
// like StoreExecutor::async_run: `co_await hasher.async_verify(hash, pw, asio::use_awaitable)`.
// Destruction joins the threads (a running hash finishes) and completes every queued job with
// `stopping`, so nobody waits forever.
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/bounded_work_queue.hpp"

namespace dchat::chat {

enum class HashRefusal {
  none,
  overloaded,  // the queue was full: not tried at all
  stopping,    // the server is shutting down
  failed,      // the job threw (out of memory)
};

template <typename T>
struct HashResult {
  std::optional<T> value;  // set on success
  HashRefusal refusal = HashRefusal::none;
  explicit operator bool() const noexcept { return value.has_value(); }
};

class PasswordHasher {
 public:
  PasswordHasher(size_t threads, size_t max_queue);
  ~PasswordHasher();
  PasswordHasher(const PasswordHasher&) = delete;
  PasswordHasher& operator=(const PasswordHasher&) = delete;

  // hash_password(password) on the pool: completes with HashResult<std::string>.
  template <typename CompletionToken>
  auto async_hash(std::string password, CompletionToken&& token);
  // verify_password(hash, password) on the pool: completes with HashResult<bool>.
  template <typename CompletionToken>
  auto async_verify(std::string hash, std::string password, CompletionToken&& token);

  // Any blocking job on the pool (the two above, and tests): completes with HashResult<T>.
  template <typename T, typename CompletionToken>
  auto async_run(std::function<T()> work, CompletionToken&& token);

  // For a shutdown that should not wait for hashes nobody will see (SIGTERM drain: the clients
  // are being moved away): jobs still queued complete with `stopping` now, new ones are refused
  // with `stopping`; the running ones finish. The threads stay until destruction.
  void close_queue();

  // Jobs queued or running: 0 when everything handed in has completed.
  size_t in_flight() const noexcept { return jobs_.in_flight(); }
  size_t queued() const { return jobs_.size(); }

 private:
  struct Job {
    virtual ~Job() = default;
    // On a pool thread with `none`; with a refusal wherever it was refused.
    virtual void run(HashRefusal refusal) = 0;
    // Counted out before its answer is posted, so in_flight() is 0 once every answer is on its way.
    void finished() noexcept {
      if (counted_by) counted_by->done();
      counted_by = nullptr;
    }
    core::BoundedWorkQueue<Job>* counted_by = nullptr;  // set while queued or running
  };
  void submit(std::unique_ptr<Job> job);
  static void answer(core::BoundedWorkQueue<Job>::Jobs jobs, HashRefusal refusal);
  static std::function<std::string()> hash_job(std::string password);
  static std::function<bool()> verify_job(std::string hash, std::string password);

  // close_queue() closes it: new jobs refused, the threads still run until destruction.
  core::BoundedWorkQueue<Job> jobs_;
};

template <typename T, typename CompletionToken>
auto PasswordHasher::async_run(std::function<T()> work, CompletionToken&& token) {
  return boost::asio::async_initiate<CompletionToken, void(HashResult<T>)>(
      [this](auto handler, std::function<T()> work) {
        using Handler = decltype(handler);
        struct Task final : Job {
          Handler handler;
          std::function<T()> work;
          // Keeps the caller's event loop from running out of work while the hash runs.
          boost::asio::executor_work_guard<boost::asio::associated_executor_t<Handler>> guard;
          Task(Handler h, std::function<T()> w)
              : handler(std::move(h)), work(std::move(w)), guard(boost::asio::get_associated_executor(handler)) {}
          void run(HashRefusal refusal) override {
            HashResult<T> result;
            result.refusal = refusal;
            if (refusal == HashRefusal::none) {
              try {
                result.value.emplace(work());
              } catch (const std::exception&) {
                result.refusal = HashRefusal::failed;
              }
            }
            auto ex = guard.get_executor();
            finished();
            boost::asio::post(ex, [h = std::move(handler), r = std::move(result)]() mutable { h(std::move(r)); });
            guard.reset();
          }
        };
        submit(std::make_unique<Task>(std::move(handler), std::move(work)));
      },
      token, std::move(work));
}

template <typename CompletionToken>
auto PasswordHasher::async_hash(std::string password, CompletionToken&& token) {
  return async_run<std::string>(hash_job(std::move(password)), std::forward<CompletionToken>(token));
}

template <typename CompletionToken>
auto PasswordHasher::async_verify(std::string hash, std::string password, CompletionToken&& token) {
  return async_run<bool>(verify_job(std::move(hash), std::move(password)), std::forward<CompletionToken>(token));
}

}  // namespace dchat::chat
