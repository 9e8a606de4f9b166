#include "log.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>

namespace {

bool quiet = false;
const char* scenario = "fanout";

void on_deadline(int) { fail_exit_raw("run exceeded its time bound (global deadline)"); }
void on_term(int) { fail_exit_raw("interrupted"); }

}  // namespace

void set_progress_quiet(bool q) { quiet = q; }
void set_scenario_name(const char* name) { scenario = name; }

void progress(const char* fmt, ...) {
  if (quiet) return;
  va_list ap;
  va_start(ap, fmt);
  char b[1024];
  vsnprintf(b, sizeof b, fmt, ap);
  va_end(ap);
  fprintf(stderr, "[fanout-cpp] %s\n", b);
}

void fail_exit_raw(const char* msg) {
  char b[600];
  int n = snprintf(b, sizeof b, "fanout-cpp: harness error: %s\n", msg);
  if (n > 0) (void)!write(2, b, size_t(std::min(n, int(sizeof b) - 1)));
  n = snprintf(b, sizeof b, "{\"ok\":false,\"scenario\":\"%s\",\"tool\":\"fanout-cpp\",\"harness_error\":\"%s\"}\n",
               scenario, msg);
  if (n > 0) (void)!write(1, b, size_t(std::min(n, int(sizeof b) - 1)));
  _exit(1);
}

void die(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char b[400];
  vsnprintf(b, sizeof b, fmt, ap);
  va_end(ap);
  for (char* p = b; *p; p++)
    if (*p == '"' || *p == '\\') *p = '\'';  // keeps the JSON line of fail_exit_raw valid
  fflush(stdout);
  fail_exit_raw(b);
}

void install_signal_handlers() {
  signal(SIGPIPE, SIG_IGN);
  signal(SIGALRM, on_deadline);
  signal(SIGINT, on_term);
  signal(SIGTERM, on_term);
}
