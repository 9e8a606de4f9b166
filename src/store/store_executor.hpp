#pragma once
// Runs Store calls (and other blocking work such as image processing) on a small pool of worker
// threads, each with its own Store connection, and delivers the result on the caller's executor
// (the shard of the connection that asked). This is what keeps blocking database calls off the
// I/O threads. The queue is bounded: past `max_queue` jobs a call fails at once with
// `unavailable` rather than letting latency and memory grow without limit.
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>

#include "core/bounded_work_queue.hpp"
#include "core/metrics.hpp"
#include "store/store.hpp"

namespace dchat::store {

template <typename T>
struct StoreResult {
  std::optional<T> value;                  // set on success
  StoreError::Kind error = StoreError::Kind::unavailable;
  std::string message;                     // set on failure
  explicit operator bool() const noexcept { return value.has_value(); }
};

class StoreExecutor {
 public:
  using Factory = std::function<std::unique_ptr<Store>()>;

  // Opens `threads` connections with `factory` (the first one also migrates the schema);
  // throws StoreError when the database cannot be opened.
  StoreExecutor(Factory factory, size_t threads, size_t max_queue = kDefaultMaxQueue);

  // Jobs waiting beyond this are refused: at a few hundred microseconds a job, a queue this long
  // is already about a second of waiting, and a longer one would only turn overload into
  // timeouts (and memory).
  static constexpr size_t kDefaultMaxQueue = 4096;
  ~StoreExecutor();

  // Calls job(store) on a worker; completes with StoreResult<T> on the token's executor.
  template <typename T, typename CompletionToken>
  auto async_run(std::function<T(Store&)> job, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(StoreResult<T>)>(
        [this](auto handler, std::function<T(Store&)> job) {
          using Handler = decltype(handler);
          struct Task : Job {
            Handler handler;
            std::chrono::steady_clock::time_point submitted = std::chrono::steady_clock::now();
            std::function<T(Store&)> job;
            boost::asio::executor_work_guard<boost::asio::associated_executor_t<Handler>> work;
            Task(Handler h, std::function<T(Store&)> j)
                : handler(std::move(h)), job(std::move(j)),
                  work(boost::asio::get_associated_executor(handler)) {}
            void run(Store* store, bool overloaded) override {
              StoreResult<T> result;
              if (!store) {
                result.error = overloaded ? StoreError::Kind::overloaded : StoreError::Kind::unavailable;
                result.message = overloaded ? "the store is overloaded" : "storage is shutting down";
              } else {
                try {
                  result.value.emplace(job(*store));
                } catch (const StoreError& e) {
                  result.error = e.kind;
                  result.message = e.what();
                } catch (const std::exception& e) {
                  result.message = e.what();
                }
              }
              if (store)
                core::metrics().store_seconds.observe(
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - submitted).count());
              auto ex = work.get_executor();
              boost::asio::post(ex, [h = std::move(handler), r = std::move(result)]() mutable { h(std::move(r)); });
              work.reset();
            }
          };
          submit(std::make_unique<Task>(std::move(handler), std::move(job)));
        },
        token, std::move(job));
  }

  size_t queued() const;
  // Jobs queued or running: 0 when every request handed in so far has completed.
  size_t in_flight() const { return jobs_.in_flight(); }

 private:
  struct Job {
    virtual ~Job() = default;
    // `store` is null when the job is refused: `overloaded` (the queue is full) or stopping.
    virtual void run(Store* store, bool overloaded) = 0;
  };
  void submit(std::unique_ptr<Job> job);

  // One worker per Store connection.
  core::BoundedWorkQueue<Job> jobs_;
};

}  // namespace dchat::store
