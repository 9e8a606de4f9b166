#pragma once
// `chatd --health-check`: asks the chatd listening on HOST:PORT (loopback when HOST is 0.0.0.0)
// for /healthz, so a Docker HEALTHCHECK needs no curl in the image. Returns the process exit code
// (0 healthy, 1 not).
#include "config/config.hpp"

namespace dchat::app {

int run_health_check(const config::Config& config);

}  // namespace dchat::app
