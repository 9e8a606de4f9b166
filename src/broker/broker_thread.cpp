// BrokerThread: one io_context on one thread, started and stopped once.
#include "broker/broker_thread.hpp"

#include <boost/asio/post.hpp>
#include <utility>

namespace dchat::broker {

bool BrokerThread::start(std::function<void()> first) {
  std::lock_guard lock(mu_);
  if (started_ || stopped_) return false;
  started_ = true;
  work_.emplace(io_.get_executor());
  boost::asio::post(io_, std::move(first));
  thread_ = std::thread([this] { io_.run(); });
  return true;
}

bool BrokerThread::stop(std::function<void()> last) {
  std::lock_guard lock(mu_);
  if (stopped_) return false;
  stopped_ = true;
  if (!thread_.joinable()) return true;
  if (last) boost::asio::post(io_, std::move(last));
  work_.reset();
  thread_.join();
  return true;
}

}  // namespace dchat::broker
