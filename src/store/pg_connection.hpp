#pragma once
// One PostgreSQL connection (libpq) that comes back by itself: when the server goes away
// (restart, failover, pg_terminate_backend), the call that notices throws
// StoreError(unavailable) with the reason, the dead connection is dropped, and the next call
// connects again. A call is never retried behind the caller's back: a write whose connection died
// may or may not have committed, and only the caller can decide what to do about that.
//
// Statements are prepared once per connection (named server-side prepared statements, cached by
// their SQL text, forgotten on reconnect) and every value is a parameter (PgParam): statement
// text is always fixed, never built from data.
//
// Settings applied to every (re)connection: connect_timeout (libpq, seconds), statement_timeout
// (server: no statement, including waiting for a row lock, runs longer), application_name, and
// NOTICEs are swallowed (CREATE ... IF NOT EXISTS would print them to stderr).
//
// Not thread-safe: one thread at a time, as the Store interface promises.
#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <unordered_map>

#include "store/pg_result.hpp"

struct pg_conn;

namespace dchat::store {

struct PgSettings {
  std::chrono::seconds connect_timeout{3};
  std::chrono::milliseconds statement_timeout{10000};
  std::string application_name = "chatd";
};

class PgConnection {
 public:
  // Connects to `url` (postgres://user:pass@host:port/db?options, or any libpq conninfo).
  // Throws StoreError(unavailable) when the server cannot be reached.
  explicit PgConnection(std::string url, PgSettings settings = {});
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs one fixed statement with `params` ($1, $2, ...), prepared on first use on this
  // connection. `binary_result`: columns come back in binary format (for bytea; integers would
  // then not read with PgResult::int64). Throws StoreError: conflict (unique violation),
  // not_found (foreign key violation), unavailable (connection lost, timeout, anything else).
  PgResult query(std::string_view sql, std::initializer_list<PgParam> params = {}, bool binary_result = false);

  // Runs fixed SQL text that may hold several statements and takes no parameters (schema
  // changes, BEGIN/COMMIT). Never pass data here.
  void exec(const char* sql);

  // Best-effort ROLLBACK that never throws and never reconnects (for transaction guards).
  void rollback_quietly() noexcept;

  // COMMIT that throws StoreError(unavailable) when the server rolled back instead: a
  // transaction in which a statement failed outside any savepoint answers COMMIT with ROLLBACK.
  void commit();

  // True while a transaction is open on this connection (no round trip).
  bool in_transaction() const noexcept;

  // True while connected (as far as libpq knows without asking the server).
  bool connected() const noexcept;
  // The server process serving this connection (connects first when needed).
  int backend_pid();

 private:
  void ensure_connected();
  // True when the server wrote to (or closed) this connection while no transaction was open.
  bool closed_while_idle() const noexcept;
  void disconnect() noexcept;
  // Throws the StoreError for a failed call; drops the connection when it is gone.
  [[noreturn]] void fail(pg_result* result, std::string_view context);

  std::string url_;
  PgSettings settings_;
  pg_conn* conn_ = nullptr;
  std::unordered_map<std::string, std::string> prepared_;  // SQL text -> statement name
  uint64_t next_statement_ = 0;
};

}  // namespace dchat::store
