#pragma once
// Runs Store calls (and other blocking work such as image processing) on a small pool of worker
// threads, each with its own Store connection, and delivers the result on the caller's executor
// (the shard of the connection that asked). This is what keeps blocking database calls off the
// I/O threads. The queue is bounded: past `max_queue` jobs a call fails at once with
// `overloaded` rather than letting latency and memory grow without limit.
//
// Two lanes: a pool of workers for reads and occasional writes, and one writer that runs the
// hot writes (message:send) in group commits. Measured (BENCHMARKS.md, "Where the time goes"):
// with one transaction per message, committing and checkpointing took most of the server's CPU
// per stored message; a group shares one commit among every message waiting at that moment, so
// the cost per message falls as load rises, and no message waits for more than one group.
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
#include <vector>

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

  // Opens `threads` connections for the pool and one for the writer with `factory` (the first
  // one also migrates the schema); throws StoreError when the database cannot be opened.
  // `max_group`: the most writes in one group commit.
  // `group_wait`: while writes arrive faster than one per group_wait, the writer waits up to this
  // long after the first write of a group for more (BoundedWorkQueue::spawn_batch_worker's
  // linger): larger groups, so fewer commits and fewer broadcast writes, for at most this much
  // more ack latency; zero never waits.
  StoreExecutor(Factory factory, size_t threads, size_t max_queue = kDefaultMaxQueue, size_t max_group = kMaxGroup,
                std::chrono::microseconds group_wait = std::chrono::microseconds{0});

  // Jobs waiting beyond this (in the pool, and again in the writer's queue) are refused: at a few
  // hundred microseconds a job, a queue this long is already about a second of waiting, and a
  // longer one would only turn overload into timeouts (and memory).
  static constexpr size_t kDefaultMaxQueue = 4096;
  // The most writes one group commit covers by default: bounds how long the write lock is held
  // (a few milliseconds) and how long the first job of a group waits for the last. The same for
  // SQLite and PostgreSQL: a group's message:sends are one batch (one savepoint), so the
  // PostgreSQL cap of 24 that kept a group under 64 subtransactions is gone (BENCHMARKS.md).
  static constexpr size_t kMaxGroup = 256;
  ~StoreExecutor();

  // Calls job(store) on one of the pool's workers; completes with StoreResult<T> on the token's
  // executor. For reads, and for writes that are rare or slow (sign-in, avatars).
  template <typename T, typename CompletionToken>
  auto async_run(std::function<T(Store&)> job, CompletionToken&& token) {
    return initiate<T>(jobs_, std::move(job), std::forward<CompletionToken>(token));
  }

  // Calls job(store) on the writer, grouped with the other writes waiting at that moment into
  // one transaction (Store::begin_group): completes only after the group committed, so a job's
  // answer still means "stored". A job that throws takes back only its own changes; when the
  // group cannot commit, every job of it completes with `unavailable`. For short, frequent
  // writes (message:send); the writer has one connection, so for SQLite writes no longer contend
  // for the database's lock among themselves.
  template <typename T, typename CompletionToken>
  auto async_write(std::function<T(Store&)> job, CompletionToken&& token) {
    return initiate<T>(writes_, std::move(job), std::forward<CompletionToken>(token));
  }

  // async_write for a job that moves the counters of room `room_id` (an edit, a delete, a
  // reaction: Store::edit_message and the like): the group locks its rooms before any job runs,
  // in id order (Store::lock_rooms), so writers on several replicas never deadlock.
  template <typename T, typename CompletionToken>
  auto async_room_write(int64_t room_id, std::function<T(Store&)> job, CompletionToken&& token) {
    return initiate<T>(writes_, std::move(job), std::forward<CompletionToken>(token), room_id);
  }

  // Stores one message:send on the writer (Store::append_messages). The sends waiting together
  // in a group go to the store as one batch; completes after the group committed, with what
  // happened to this one.
  template <typename CompletionToken>
  auto async_append(AppendRequest request, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(StoreResult<AppendOutcome>)>(
        [this](auto handler, AppendRequest request) {
          submit(writes_, std::make_unique<AppendTask<decltype(handler)>>(std::move(handler), std::move(request)));
        },
        token, std::move(request));
  }

  size_t queued() const;
  // Jobs queued or running: 0 when every request handed in so far has completed.
  size_t in_flight() const { return jobs_.in_flight() + writes_.in_flight(); }

  // Store::indexes_search_in_batches of this database: false when nothing needs to run
  // Store::index_search (the chat then never schedules it).
  bool indexes_search_in_batches() const noexcept { return indexes_search_in_batches_; }
  // Workers in the pool (async_run), the writer not counted.
  size_t threads() const noexcept { return threads_; }

 private:
  // One request: runs on a worker, keeps its result, and hands it to the caller's executor.
  struct Job {
    virtual ~Job() = default;
    // Runs the work, keeping its result or its error; false when it failed (threw).
    virtual bool execute(Store& store) = 0;
    // Replaces the result with a failure: refused (overloaded, stopping), or its group did not
    // commit.
    virtual void fail(StoreError::Kind kind, std::string message) = 0;
    // Hands the result to the caller's executor; exactly once.
    virtual void complete() = 0;
    // A message:send (async_append) gives its request to the writer's batch, which may move it
    // out, and later its outcome; other jobs have none.
    virtual AppendRequest* append_request() { return nullptr; }
    virtual void set_appended(AppendOutcome) {}
    // The room whose counters the job moves (locked for its group first), 0 when none.
    virtual int64_t locks_room() const { return 0; }
  };
  using Queue = core::BoundedWorkQueue<Job>;

  // `room_id`: the room whose counters the job moves (async_room_write), 0 when none.
  template <typename T, typename CompletionToken>
  auto initiate(Queue& queue, std::function<T(Store&)> job, CompletionToken&& token, int64_t room_id = 0) {
    return boost::asio::async_initiate<CompletionToken, void(StoreResult<T>)>(
        [this, &queue, room_id](auto handler, std::function<T(Store&)> job) {
          auto task = std::make_unique<Task<T, decltype(handler)>>(std::move(handler), std::move(job));
          task->room_id = room_id;
          submit(queue, std::move(task));
        },
        token, std::move(job));
  }

  template <typename T, typename Handler>
  struct Task : Job {
    Handler handler;
    std::chrono::steady_clock::time_point submitted = std::chrono::steady_clock::now();
    std::function<T(Store&)> job;
    boost::asio::executor_work_guard<boost::asio::associated_executor_t<Handler>> work;
    StoreResult<T> result;
    bool ran = false;
    int64_t room_id = 0;  // async_room_write's room

    Task(Handler h, std::function<T(Store&)> j)
        : handler(std::move(h)), job(std::move(j)), work(boost::asio::get_associated_executor(handler)) {}

    bool execute(Store& store) override {
      ran = true;
      try {
        result.value.emplace(job(store));
        return true;
      } catch (const StoreError& e) {
        fail(e.kind, e.what());
      } catch (const std::exception& e) {
        fail(StoreError::Kind::unavailable, e.what());
      }
      return false;
    }
    int64_t locks_room() const override { return room_id; }
    void fail(StoreError::Kind kind, std::string message) override {
      result.value.reset();
      result.error = kind;
      result.message = std::move(message);
    }
    void complete() override {
      if (ran)
        core::metrics().store_seconds.observe(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - submitted).count());
      auto ex = work.get_executor();
      boost::asio::post(ex, [h = std::move(handler), r = std::move(result)]() mutable { h(std::move(r)); });
      work.reset();
    }
  };

  template <typename Handler>
  struct AppendTask final : Task<AppendOutcome, Handler> {
    AppendRequest request;

    // No job function: the writer always runs an AppendTask in a batch (run_appends), and
    // execute() on it would fail the task (an empty std::function throws).
    AppendTask(Handler h, AppendRequest r) : Task<AppendOutcome, Handler>(std::move(h), {}), request(std::move(r)) {}
    AppendRequest* append_request() override { return &request; }
    int64_t locks_room() const override { return request.room_id; }
    void set_appended(AppendOutcome outcome) override {
      this->ran = true;
      this->result.value.emplace(std::move(outcome));
    }
  };

  void submit(Queue& queue, std::unique_ptr<Job> job);
  void run_group(Store& store, std::vector<std::unique_ptr<Job>>& group);
  // The jobs [begin, end) of a group, all message:sends, as one Store::append_messages call.
  static void run_appends(Store& store, std::vector<std::unique_ptr<Job>>& group, size_t begin, size_t end);

  // The pool: one worker per Store connection.
  Queue jobs_;
  // The writer: one worker, one connection, group commits.
  Queue writes_;
  bool indexes_search_in_batches_ = true;
  size_t threads_ = 1;
};

}  // namespace dchat::store
