#include "app/early_stop.hpp"

#include <csignal>

namespace dchat::app {

namespace {
volatile std::sig_atomic_t stop_requested = 0;

void record_stop(int) { stop_requested = 1; }
}  // namespace

void catch_early_stop_signals() {
  struct sigaction action {};
  action.sa_handler = record_stop;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
}

bool early_stop_requested() noexcept { return stop_requested != 0; }

}  // namespace dchat::app
