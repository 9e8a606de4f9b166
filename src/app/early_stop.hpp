#pragma once
// SIGTERM/SIGINT before the event loops' signal handling exists: chatd can spend up to
// CHAT_STORE_STARTUP_TIMEOUT_MS waiting for its database at start. In a container it is PID 1,
// and the kernel drops signals PID 1 has no handler for, so without this `docker stop` or a pod
// deletion would wait for the whole grace period and a SIGKILL. The handler only records the
// request; the start-up wait polls it and gives up; main hands a request that arrived later
// (before asio's handler replaced this one) on to the drain.
#include <stdexcept>

namespace dchat::app {

// Thrown by a start-up wait that was asked to stop: main exits with 0 (a requested stop).
struct StoppedAtStart : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Installs the handlers for SIGTERM and SIGINT (replaced later by boost::asio::signal_set).
void catch_early_stop_signals();
// Whether one of them arrived since.
bool early_stop_requested() noexcept;

}  // namespace dchat::app
