#pragma once
// The lifecycle RedisBroker and PgNotifyBroker share: a private io_context run by one thread.
// start() keeps run() from returning (work guard), posts the first handler and spawns the thread;
// stop() posts the last handler, drops the work guard and joins, so run() returns once the last
// handler has run and nothing it armed (timers, fd waits) is left. Each happens once: start()
// after stop() does nothing, and stop() is idempotent. Thread-safe.
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <functional>
#include <mutex>
#include <optional>
#include <thread>

namespace dchat::broker {

class BrokerThread {
 public:
  BrokerThread() = default;
  ~BrokerThread() { stop({}); }
  BrokerThread(const BrokerThread&) = delete;
  BrokerThread& operator=(const BrokerThread&) = delete;

  boost::asio::io_context& io() { return io_; }

  // Runs `first` on the new thread; false (nothing done) when already started or stopped.
  bool start(std::function<void()> first);
  // Runs `last` on the thread (when it was started) and joins it; false when already stopped.
  bool stop(std::function<void()> last);

 private:
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread thread_;
  std::mutex mu_;
  bool started_ = false, stopped_ = false;
};

}  // namespace dchat::broker
