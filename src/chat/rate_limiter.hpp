#pragma once
// Sign-in failure limits that count attempts *in flight*. An attempt is admitted (begin) before
// its password is checked and reports how it ended afterwards (fail / succeed; dropped without
// either, it only stops counting). Admission counts failures plus attempts still running, so a
// burst of parallel guesses cannot all be evaluated against a limit that only learns of them
// once each has finished (issue #9: 30 parallel guesses against a limit of 5 were all checked).
//
// Shared by all shards, so each limiter takes a lock; only sign-in attempts consult it. The
// state is shared with the attempts, so an attempt may end after its limiter is gone (a sign-in
// suspended at shutdown). Memory is bounded: past `max_keys` entries that hold nothing are
// pruned, and if that is not enough every idle entry goes (an attack from very many keys resets
// their counts rather than growing the table).
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace dchat::chat {

using LimitClock = std::chrono::steady_clock;

enum class AttemptOutcome { released, failed, succeeded };

// What an Attempt reports back to: the shared state of the limiter that admitted it.
class AttemptLedger {
 public:
  virtual ~AttemptLedger() = default;
  virtual void end(const std::string& key, AttemptOutcome outcome, LimitClock::time_point now) = 0;
};

// One admitted attempt, counted against its key until it ends. Move-only.
class Attempt {
 public:
  Attempt() = default;  // none: refused
  Attempt(std::shared_ptr<AttemptLedger> ledger, std::string key) : ledger_(std::move(ledger)), key_(std::move(key)) {}
  Attempt(Attempt&& other) noexcept = default;
  Attempt& operator=(Attempt&& other) noexcept;
  Attempt(const Attempt&) = delete;
  Attempt& operator=(const Attempt&) = delete;
  ~Attempt() { end(AttemptOutcome::released, LimitClock::now()); }

  void fail(LimitClock::time_point now = LimitClock::now()) { end(AttemptOutcome::failed, now); }
  void succeed(LimitClock::time_point now = LimitClock::now()) { end(AttemptOutcome::succeeded, now); }
  explicit operator bool() const noexcept { return ledger_ != nullptr; }

 private:
  void end(AttemptOutcome outcome, LimitClock::time_point now);
  std::shared_ptr<AttemptLedger> ledger_;
  std::string key_;
};

// begin()'s answer: an attempt, or how long to wait (at least a second).
struct Admission {
  Attempt attempt;
  std::chrono::seconds retry_after{0};
  explicit operator bool() const noexcept { return static_cast<bool>(attempt); }
};

// begin()'s answer once `ledger` has judged an attempt of `key`: a zero `wait` admitted it (the
// attempt then reports back to `ledger`), else it is how long to wait.
Admission admission(std::chrono::seconds wait, std::shared_ptr<AttemptLedger> ledger, const std::string& key);

// A hard limit: at most `max_failures` failures per key in a window that starts with the first
// failure; failures plus attempts in flight must stay below it for a new attempt to start.
// Successes do not reset it (a client cannot clear its count with an account of its own).
class RateLimiter {
 public:
  RateLimiter(size_t max_failures, std::chrono::seconds window, size_t max_keys = 100000);

  Admission begin(const std::string& key, LimitClock::time_point now = LimitClock::now());
  // Entries held (tests: the table stays bounded).
  size_t size() const;

 private:
  class State;
  std::shared_ptr<State> state_;
};

}  // namespace dchat::chat
