#include "store/pg_connection.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "store/store.hpp"
#include "store/store_factory.hpp"

namespace dchat::store {

namespace {

void ignore_notice(void*, const char*) {}

// How a failed statement reaches the caller: uniqueness and references are the caller's
// business (conflict, not_found); everything else means the database could not do it.
StoreError::Kind kind_of(const char* sqlstate) {
  if (sqlstate == nullptr) return StoreError::Kind::unavailable;
  if (std::strcmp(sqlstate, "23505") == 0) return StoreError::Kind::conflict;   // unique_violation
  if (std::strcmp(sqlstate, "23503") == 0) return StoreError::Kind::not_found;  // foreign_key_violation
  return StoreError::Kind::unavailable;
}

// The server ended the session (shutdown, restart, pg_terminate_backend) or the link failed: the
// connection is unusable even if libpq has not noticed yet.
bool session_ended(const char* sqlstate) {
  if (sqlstate == nullptr) return false;
  return std::strncmp(sqlstate, "08", 2) == 0 || std::strcmp(sqlstate, "57P01") == 0 ||
         std::strcmp(sqlstate, "57P02") == 0 || std::strcmp(sqlstate, "57P03") == 0;
}

std::string trimmed(const char* message) {
  std::string out = message != nullptr ? message : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  // libpq's multi-line messages (newline, tab) read better on one log line.
  std::string line;
  for (char c : out) {
    if (c == '\n' || c == '\t' || c == '\r') c = ' ';
    if (c == ' ' && !line.empty() && line.back() == ' ') continue;
    line += c;
  }
  return line;
}

}  // namespace

PgConnection::PgConnection(std::string url, PgSettings settings)
    : url_(std::move(url)), settings_(std::move(settings)) {
  ensure_connected();
}

PgConnection::~PgConnection() { disconnect(); }

bool PgConnection::connected() const noexcept { return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK; }

void PgConnection::disconnect() noexcept {
  if (conn_ != nullptr) PQfinish(conn_);
  conn_ = nullptr;
  prepared_.clear();  // server-side prepared statements die with the session
}

bool PgConnection::closed_while_idle() const noexcept {
  // An idle connection (no transaction open) has nothing to read unless the server spoke first:
  // when PostgreSQL restarts or terminates the backend it sends a FATAL error and closes. Without
  // this check the next statement on every such connection would fail once (the store's pool
  // connections sit idle while the writer takes the traffic, so after a restart the first read
  // on each failed). A statement never sent cannot have run, so reconnecting here is safe.
  if (PQtransactionStatus(conn_) != PQTRANS_IDLE) return false;
  pollfd fd{PQsocket(conn_), POLLIN, 0};
  return ::poll(&fd, 1, 0) != 0;
}

void PgConnection::ensure_connected() {
  if (conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK && !closed_while_idle()) return;
  disconnect();
  // expand_dbname = 1: the URL (or conninfo string) in "dbname" supplies everything it names;
  // the keywords after it override it, so every connect is bounded by our connect_timeout.
  const std::string timeout = std::to_string(settings_.connect_timeout.count());
  // TCP keepalives and a user timeout: a server that vanishes without closing the connection
  // fails the call within ~30 s instead of the TCP retransmission timeout (~15 min).
  const char* keywords[] = {"dbname", "connect_timeout", "application_name", "keepalives_idle", "keepalives_interval",
                            "keepalives_count", "tcp_user_timeout", nullptr};
  const char* values[] = {url_.c_str(), timeout.c_str(), settings_.application_name.c_str(), "10", "5", "3", "30000",
                          nullptr};
  pg_conn* conn = PQconnectdbParams(keywords, values, 1);
  if (conn == nullptr) {
    throw StoreError(StoreError::Kind::unavailable, "postgres: out of memory connecting to " + describe_database_url(url_));
  }
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string what = "postgres: cannot connect to " + describe_database_url(url_) + ": " + trimmed(PQerrorMessage(conn));
    PQfinish(conn);
    throw StoreError(StoreError::Kind::unavailable, what);
  }
  PQsetNoticeProcessor(conn, ignore_notice, nullptr);
  conn_ = conn;
  // Server-side limits, as parameters (SET takes none; set_config does).
  const std::string statement_timeout = std::to_string(settings_.statement_timeout.count());
  query("SELECT set_config('statement_timeout', $1, false)", {statement_timeout});
}

PgResult PgConnection::query(std::string_view sql, std::initializer_list<PgParam> params, bool binary_result) {
  ensure_connected();
  auto it = prepared_.find(std::string(sql));
  if (it == prepared_.end()) {
    std::string name = "dchat_" + std::to_string(++next_statement_);
    const std::string text(sql);
    PgResult prepared(PQprepare(conn_, name.c_str(), text.c_str(), static_cast<int>(params.size()), nullptr));
    if (prepared.get() == nullptr || PQresultStatus(prepared.get()) != PGRES_COMMAND_OK) fail(prepared.get(), text);
    it = prepared_.emplace(text, std::move(name)).first;
  }
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
  values.reserve(params.size());
  lengths.reserve(params.size());
  formats.reserve(params.size());
  for (const PgParam& p : params) {
    values.push_back(p.value());
    lengths.push_back(p.length());
    formats.push_back(p.format());
  }
  PgResult result(PQexecPrepared(conn_, it->second.c_str(), static_cast<int>(params.size()), values.data(),
                                 lengths.data(), formats.data(), binary_result ? 1 : 0));
  const ExecStatusType status = result.get() != nullptr ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) fail(result.get(), it->first);
  return result;
}

void PgConnection::exec(const char* sql) {
  ensure_connected();
  PgResult result(PQexec(conn_, sql));
  const ExecStatusType status = result.get() != nullptr ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) fail(result.get(), sql);
}

void PgConnection::rollback_quietly() noexcept {
  if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) return;
  if (PQtransactionStatus(conn_) == PQTRANS_IDLE) return;
  pg_result* r = PQexec(conn_, "ROLLBACK");
  if (r != nullptr) PQclear(r);
  // A connection that died during the ROLLBACK is picked up by the next call.
}

void PgConnection::commit() {
  ensure_connected();
  PgResult result(PQexec(conn_, "COMMIT"));
  const ExecStatusType status = result.get() != nullptr ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK) fail(result.get(), "COMMIT");
  if (std::string_view(PQcmdStatus(result.get())) != "COMMIT") {
    throw StoreError(StoreError::Kind::unavailable, "postgres: COMMIT: the transaction had failed and was rolled back");
  }
}

bool PgConnection::in_transaction() const noexcept {
  return conn_ != nullptr && PQtransactionStatus(conn_) != PQTRANS_IDLE && PQtransactionStatus(conn_) != PQTRANS_UNKNOWN;
}

int PgConnection::backend_pid() {
  ensure_connected();
  return PQbackendPID(conn_);
}

void PgConnection::fail(pg_result* result, std::string_view context) {
  std::string message = trimmed(result != nullptr ? PQresultErrorMessage(result) : nullptr);
  if (message.empty() && conn_ != nullptr) message = trimmed(PQerrorMessage(conn_));
  // The first line of the statement is enough to say which one failed.
  std::string statement(context.substr(0, std::min<size_t>(context.size(), 120)));
  const char* sqlstate = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK || session_ended(sqlstate)) {
    disconnect();
    throw StoreError(StoreError::Kind::unavailable,
                     "postgres: connection to " + describe_database_url(url_) + " lost (" + message +
                         "); the next call reconnects");
  }
  std::string what = "postgres: " + statement + ": " + message;
  if (sqlstate != nullptr) what += std::string(" (SQLSTATE ") + sqlstate + ")";
  throw StoreError(kind_of(sqlstate), what);
}

}  // namespace dchat::store
