// FdWatch: async_wait on a non-owning posix::stream_descriptor.
#include "broker/asio_fd_watch.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

namespace dchat::broker {

struct FdWatch::State {
  State(boost::asio::io_context& io, int fd) : sd(io, fd), fd(fd) {}
  boost::asio::posix::stream_descriptor sd;
  int fd;
  std::function<void()> on_readable, on_writable;
  bool want[2] = {false, false};     // read, write
  bool waiting[2] = {false, false};  // an async_wait is outstanding
  bool alive = true;                 // false once the FdWatch is destroyed
};

namespace {

using StatePtr = std::shared_ptr<FdWatch::State>;

void arm(const StatePtr& s, int dir) {
  if (!s->alive || !s->want[dir] || s->waiting[dir]) return;
  s->waiting[dir] = true;
  const auto type = dir == 0 ? boost::asio::posix::stream_descriptor::wait_read
                             : boost::asio::posix::stream_descriptor::wait_write;
  // The handler holds only a weak reference: after the FdWatch is gone it does nothing.
  s->sd.async_wait(type, [w = std::weak_ptr<FdWatch::State>(s), dir](const boost::system::error_code& ec) {
    StatePtr s = w.lock();
    if (!s) return;
    s->waiting[dir] = false;
    if (ec || !s->alive || !s->want[dir]) return;
    // Copy: the callback may destroy the FdWatch (and reset these members).
    auto cb = dir == 0 ? s->on_readable : s->on_writable;
    cb();
    arm(s, dir);  // still wanted and alive: wait again
  });
}

}  // namespace

FdWatch::FdWatch(boost::asio::io_context& io, int fd, std::function<void()> on_readable,
                 std::function<void()> on_writable)
    : state_(std::make_shared<State>(io, fd)) {
  state_->on_readable = std::move(on_readable);
  state_->on_writable = std::move(on_writable);
}

FdWatch::~FdWatch() {
  state_->alive = false;
  boost::system::error_code ec;
  state_->sd.cancel(ec);
  // Never close: the descriptor belongs to the client library.
  (void)state_->sd.release();
}

void FdWatch::want_read(bool on) {
  state_->want[0] = on;
  arm(state_, 0);
}

void FdWatch::want_write(bool on) {
  state_->want[1] = on;
  arm(state_, 1);
}

int FdWatch::fd() const { return state_->fd; }

}  // namespace dchat::broker
