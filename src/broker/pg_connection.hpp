#pragma once
// One libpq connection driven by Asio: PQconnectStart/PQconnectPoll, then non-blocking queries
// (PQsendQuery[Params] + PQflush + PQconsumeInput) run one at a time in submission order, and
// NOTIFY messages (PQnotifies) handed to a callback. Used by PgNotifyBroker.
//
// Single-threaded: use it only on the io_context's thread. A lost connection is reported by
// posting on_lost (never from inside a call into this object), so the owner may destroy the
// connection there. Destroying it fails the queries still queued (their handlers run with a null
// result) and closes the connection (PQfinish).
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;

namespace boost::asio {
class io_context;
}

namespace dchat::broker {

class FdWatch;

class PgConnection {
 public:
  // result: the statement's last result (status PGRES_TUPLES_OK / PGRES_COMMAND_OK), or null
  // with `error` set. Valid during the call only.
  using ResultHandler = std::function<void(const PGresult* result, const std::string& error)>;

  struct Param {
    std::string value;
    bool binary = false;
  };

  PgConnection(boost::asio::io_context& io, std::string conninfo, std::function<void()> on_ready,
               std::function<void(const std::string& why)> on_lost,
               std::function<void(const std::string& channel, const std::string& payload)> on_notify = {});
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;
  ~PgConnection();

  // Starts connecting; on_ready once the connection can take queries.
  void connect();
  // Queues one statement with parameters (extended protocol).
  void query(std::string sql, std::vector<Param> params, bool binary_result, ResultHandler done);
  // Queues a simple-protocol query (several statements allowed, no parameters).
  void query_simple(std::string sql, ResultHandler done);

 private:
  struct Command {
    std::string sql;
    std::vector<Param> params;
    bool simple = false;
    bool binary_result = false;
    ResultHandler done;
  };

  void watch();  // (re)creates the FdWatch for PQsocket()
  void connect_step();
  void on_readable();
  void on_writable();
  void send_next();
  void flush();
  void process();
  void fail(const std::string& why);

  boost::asio::io_context& io_;
  std::string conninfo_;
  std::function<void()> on_ready_;
  std::function<void(const std::string&)> on_lost_;
  std::function<void(const std::string&, const std::string&)> on_notify_;
  PGconn* conn_ = nullptr;
  std::unique_ptr<FdWatch> watch_;
  bool ready_ = false, failed_ = false;
  std::deque<Command> queue_;  // front = the command in flight when busy_
  bool busy_ = false;
  PGresult* result_ = nullptr;  // the in-flight command's result so far
  std::string error_;
};

}  // namespace dchat::broker
