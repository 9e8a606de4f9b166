#pragma once
// PostgreSQL for the contract tests: the server named by TEST_DATABASE_URL (scripts/services.sh
// starts a private one; ctest passes its URL through the `services` fixture), and one fresh
// database per test, created on an admin connection and dropped WITH (FORCE) afterwards.
//
// Without TEST_DATABASE_URL the PostgreSQL tests fail with a message saying how to start the
// server: a suite that silently skipped would look like a pass.
#include <libpq-fe.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace dchat::store::contract {

inline std::string test_database_url() {
  const char* url = std::getenv("TEST_DATABASE_URL");
  if (url == nullptr || *url == '\0') {
    throw std::runtime_error(
        "TEST_DATABASE_URL is not set, so the PostgreSQL tests cannot run (they fail rather than skip). "
        "Start the test servers with `scripts/services.sh start postgres` and export the URL with "
        "`eval \"$(scripts/services.sh env)\"`, or run the tests through ctest, whose `services` fixture "
        "starts them and sets TEST_DATABASE_URL.");
  }
  return url;
}

// `url` with its database name replaced by `database` (postgres://user@host:port/NAME?query).
inline std::string with_database(const std::string& url, const std::string& database) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) throw std::runtime_error("TEST_DATABASE_URL is not a postgres:// URL: " + url);
  const size_t path = url.find_first_of("/?", scheme + 3);
  if (path == std::string::npos) return url + "/" + database;
  if (url[path] == '?') return url.substr(0, path) + "/" + database + url.substr(path);
  const size_t query = url.find('?', path);
  return url.substr(0, path) + "/" + database + (query == std::string::npos ? "" : url.substr(query));
}

// A plain libpq connection for what tests do behind the store's back.
class PgAdmin {
 public:
  explicit PgAdmin(const std::string& url) : conn_(PQconnectdb(url.c_str())) {
    if (PQstatus(conn_) != CONNECTION_OK) {
      const std::string what = "cannot connect to the test PostgreSQL (" + url + "): " + PQerrorMessage(conn_) +
                               " -- is it running? Start it with `scripts/services.sh start postgres`.";
      PQfinish(conn_);
      conn_ = nullptr;
      throw std::runtime_error(what);
    }
    PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
  }
  ~PgAdmin() {
    if (conn_ != nullptr) PQfinish(conn_);
  }
  PgAdmin(const PgAdmin&) = delete;
  PgAdmin& operator=(const PgAdmin&) = delete;

  // Runs `sql` with text parameters; returns every row, cells joined by '|'. Throws on error.
  std::vector<std::string> rows(const std::string& sql, std::initializer_list<std::string> params = {}) {
    std::vector<const char*> values;
    for (const std::string& p : params) values.push_back(p.c_str());
    PGresult* r = PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                               nullptr, 0);
    const ExecStatusType status = PQresultStatus(r);
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
      const std::string what = "test PostgreSQL: " + sql + ": " + PQresultErrorMessage(r);
      PQclear(r);
      throw std::runtime_error(what);
    }
    std::vector<std::string> out;
    for (int i = 0; i < PQntuples(r); ++i) {
      std::string row;
      for (int c = 0; c < PQnfields(r); ++c) {
        if (c > 0) row += '|';
        row += PQgetvalue(r, i, c);
      }
      out.push_back(row);
    }
    PQclear(r);
    return out;
  }

  // The first cell of the first row ("" when there is none).
  std::string scalar(const std::string& sql, std::initializer_list<std::string> params = {}) {
    const std::vector<std::string> r = rows(sql, params);
    if (r.empty()) return "";
    const std::string& row = r.front();
    return row.substr(0, row.find('|'));
  }

  // Ends every session on `database` but this one, as an administrator or a failover would.
  // Returns how many were ended.
  int terminate_sessions(const std::string& database) {
    return std::stoi(scalar(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
        {database}));
  }

 private:
  PGconn* conn_ = nullptr;
};

// One fresh, empty database on the test server, dropped (with any sessions still on it) when
// the object goes away.
class TestDatabase {
 public:
  TestDatabase() : admin_url_(test_database_url()), admin_(admin_url_) {
    std::random_device random;
    char hex[17];
    std::snprintf(hex, sizeof hex, "%08x%08x", random(), random());
    name_ = std::string("contract_") + hex;
    // The name is made here from hex digits only; identifiers cannot be parameters.
    admin_.rows("CREATE DATABASE " + name_);
    url_ = with_database(admin_url_, name_);
  }
  ~TestDatabase() {
    try {
      admin_.rows("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    } catch (const std::exception& e) {
      std::fprintf(stderr, "warning: could not drop test database %s: %s\n", name_.c_str(), e.what());
    }
  }
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  const std::string& url() const { return url_; }
  const std::string& name() const { return name_; }
  // A connection to the server's admin database (not this one).
  PgAdmin& admin() { return admin_; }

 private:
  std::string admin_url_;
  PgAdmin admin_;
  std::string name_;
  std::string url_;
};

}  // namespace dchat::store::contract
