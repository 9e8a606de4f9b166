// Progress lines on stderr, and the way every harness failure ends the process: a message on
// stderr, a JSON line with "ok":false on stdout, exit status 1.
#pragma once

void set_progress_quiet(bool quiet);  // --quiet
void set_scenario_name(const char* name);  // for the failure JSON line ("fanout" until set)
void progress(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// Async-signal-safe (used from the deadline handler too).
[[noreturn]] void fail_exit_raw(const char* msg);
[[noreturn]] void die(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// SIGPIPE ignored (write errors are handled where they happen); SIGALRM (the global deadline,
// see arm_deadline), SIGINT and SIGTERM end the run through fail_exit_raw.
void install_signal_handlers();
