#pragma once
// Readiness notifications for a file descriptor owned by a C client library (hiredis, libpq), on
// an Asio io_context: the library does its own reads and writes; Asio only says when the socket
// is readable or writable. The descriptor is wrapped in a posix::stream_descriptor that never
// owns it: the destructor cancels the waits and release()s the descriptor, the library closes it.
//
// Single-threaded: use it only on the io_context's thread. A callback may destroy the FdWatch.
#include <functional>
#include <memory>

namespace boost::asio {
class io_context;
}

namespace dchat::broker {

class FdWatch {
 public:
  FdWatch(boost::asio::io_context& io, int fd, std::function<void()> on_readable, std::function<void()> on_writable);
  FdWatch(const FdWatch&) = delete;
  FdWatch& operator=(const FdWatch&) = delete;
  ~FdWatch();

  // While set, on_readable / on_writable is called each time the descriptor is ready.
  void want_read(bool on);
  void want_write(bool on);
  int fd() const;

  struct State;  // shared with the pending waits (defined in the .cpp)

 private:
  std::shared_ptr<State> state_;
};

}  // namespace dchat::broker
