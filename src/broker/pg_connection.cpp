// PgConnection: libpq's asynchronous API on an Asio-watched socket.
#include "broker/pg_connection.hpp"

#include <libpq-fe.h>
#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "broker/asio_fd_watch.hpp"

namespace dchat::broker {

namespace {
std::string trimmed_error(PGconn* conn) {
  std::string e = conn ? PQerrorMessage(conn) : "out of memory";
  while (!e.empty() && (e.back() == '\n' || e.back() == ' ')) e.pop_back();
  return e;
}
}  // namespace

PgConnection::PgConnection(boost::asio::io_context& io, std::string conninfo, std::function<void()> on_ready,
                           std::function<void(const std::string&)> on_lost,
                           std::function<void(const std::string&, const std::string&)> on_notify)
    : io_(io),
      conninfo_(std::move(conninfo)),
      on_ready_(std::move(on_ready)),
      on_lost_(std::move(on_lost)),
      on_notify_(std::move(on_notify)) {}

PgConnection::~PgConnection() {
  watch_.reset();  // release the socket before libpq closes it
  if (result_) PQclear(result_);
  std::deque<Command> left;
  left.swap(queue_);
  for (auto& c : left)
    if (c.done) c.done(nullptr, "connection closed");
  if (conn_) PQfinish(conn_);
}

void PgConnection::connect() {
  // expand_dbname = 1: the URL or conninfo supplies everything it names; the keepalives after it
  // make a server that vanished without closing the connection noticed within ~30 s.
  const char* keywords[] = {"dbname", "connect_timeout", "keepalives_idle", "keepalives_interval", "keepalives_count",
                            "tcp_user_timeout", nullptr};
  const char* values[] = {conninfo_.c_str(), "5", "10", "5", "3", "30000", nullptr};
  conn_ = PQconnectStartParams(keywords, values, 1);
  if (!conn_ || PQstatus(conn_) == CONNECTION_BAD) return fail(trimmed_error(conn_));
  PQsetNoticeProcessor(
      conn_, [](void*, const char* message) { spdlog::debug("postgres broker: {}", message); }, nullptr);
  // As the libpq manual says: start as if PQconnectPoll had returned PGRES_POLLING_WRITING.
  watch();
  watch_->want_write(true);
}

void PgConnection::watch() {
  // Always a new watch: during connection libpq may close its socket and open another one,
  // possibly with the same number, whose epoll registration would be gone.
  watch_.reset();
  const int fd = PQsocket(conn_);
  if (fd < 0) return fail("no socket");
  watch_ = std::make_unique<FdWatch>(io_, fd, [this] { on_readable(); }, [this] { on_writable(); });
}

void PgConnection::connect_step() {
  switch (PQconnectPoll(conn_)) {
    case PGRES_POLLING_READING:
      watch();
      if (watch_) watch_->want_read(true);
      return;
    case PGRES_POLLING_WRITING:
      watch();
      if (watch_) watch_->want_write(true);
      return;
    case PGRES_POLLING_OK:
      if (PQsetnonblocking(conn_, 1) != 0) return fail(trimmed_error(conn_));
      watch();
      if (!watch_) return;
      ready_ = true;
      watch_->want_read(true);  // always: results and notifications
      if (on_ready_) on_ready_();
      send_next();
      return;
    default:
      return fail(trimmed_error(conn_));
  }
}

void PgConnection::on_readable() {
  if (failed_) return;
  if (!ready_) return connect_step();
  if (!PQconsumeInput(conn_)) return fail(trimmed_error(conn_));
  process();
  if (!failed_ && busy_) flush();  // a partial send may have been waiting for input
}

void PgConnection::on_writable() {
  if (failed_) return;
  if (!ready_) return connect_step();
  flush();
}

void PgConnection::query(std::string sql, std::vector<Param> params, bool binary_result, ResultHandler done) {
  queue_.push_back({std::move(sql), std::move(params), false, binary_result, std::move(done)});
  send_next();
}

void PgConnection::query_simple(std::string sql, ResultHandler done) {
  queue_.push_back({std::move(sql), {}, true, false, std::move(done)});
  send_next();
}

void PgConnection::send_next() {
  if (!ready_ || failed_ || busy_ || queue_.empty()) return;
  const Command& c = queue_.front();
  int ok;
  if (c.simple) {
    ok = PQsendQuery(conn_, c.sql.c_str());
  } else {
    std::vector<const char*> values;
    std::vector<int> lengths, formats;
    for (const auto& p : c.params) {
      values.push_back(p.value.data());
      lengths.push_back(static_cast<int>(p.value.size()));
      formats.push_back(p.binary ? 1 : 0);
    }
    ok = PQsendQueryParams(conn_, c.sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                           lengths.data(), formats.data(), c.binary_result ? 1 : 0);
  }
  if (!ok) return fail(trimmed_error(conn_));
  busy_ = true;
  error_.clear();
  flush();
}

void PgConnection::flush() {
  const int r = PQflush(conn_);
  if (r < 0) return fail(trimmed_error(conn_));
  watch_->want_write(r == 1);  // 1: more to send when the socket is writable
}

void PgConnection::process() {
  while (busy_ && !failed_ && !PQisBusy(conn_)) {
    PGresult* r = PQgetResult(conn_);
    if (r) {
      const ExecStatusType st = PQresultStatus(r);
      if (st == PGRES_FATAL_ERROR || st == PGRES_BAD_RESPONSE || st == PGRES_NONFATAL_ERROR) {
        if (error_.empty()) {
          error_ = PQresultErrorMessage(r);
          while (!error_.empty() && error_.back() == '\n') error_.pop_back();
        }
        PQclear(r);
      } else {
        if (result_) PQclear(result_);
        result_ = r;  // keep the last one (a simple query may return several)
      }
      continue;
    }
    // Null: the command is complete.
    Command c = std::move(queue_.front());
    queue_.pop_front();
    busy_ = false;
    PGresult* res = result_;
    result_ = nullptr;
    if (c.done) c.done(error_.empty() ? res : nullptr, error_.empty() && !res ? "no result" : error_);
    if (res) PQclear(res);
    send_next();
  }
  while (!failed_) {
    PGnotify* n = PQnotifies(conn_);
    if (!n) break;
    const std::string channel = n->relname, payload = n->extra ? n->extra : "";
    PQfreemem(n);
    if (on_notify_) on_notify_(channel, payload);
  }
  if (!failed_ && PQstatus(conn_) == CONNECTION_BAD) fail(trimmed_error(conn_));
}

void PgConnection::fail(const std::string& why) {
  if (failed_) return;
  failed_ = true;
  watch_.reset();
  // Posted: the owner destroys this connection in on_lost, never while a call into it runs.
  boost::asio::post(io_, [on_lost = on_lost_, why] {
    if (on_lost) on_lost(why);
  });
}

}  // namespace dchat::broker
