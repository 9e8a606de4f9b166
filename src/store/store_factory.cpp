#include "store/store_factory.hpp"

#include <stdexcept>
#include <string_view>

#include "store/pg_store.hpp"
#include "store/sqlite_store.hpp"

namespace dchat::store {

namespace {

constexpr std::string_view kSqlite = "sqlite:";

bool starts_with(const std::string& s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }

bool is_postgres_url(const std::string& url) {
  return starts_with(url, "postgres://") || starts_with(url, "postgresql://");
}

}  // namespace

StoreFactoryFn make_store_factory(const std::string& database_url) {
  if (starts_with(database_url, kSqlite)) {
    std::string path = database_url.substr(kSqlite.size());
    if (path.empty()) {
      throw std::invalid_argument("DATABASE_URL \"sqlite:\" names no file: use sqlite:PATH, e.g. sqlite:./data/chat.db");
    }
    return [path] { return std::make_unique<SqliteStore>(path); };
  }
  if (is_postgres_url(database_url)) {
    return [database_url] { return std::make_unique<PgStore>(database_url); };
  }
  throw std::invalid_argument("DATABASE_URL \"" + describe_database_url(database_url) +
                              "\" is not supported: use sqlite:PATH (e.g. sqlite:./data/chat.db) or "
                              "postgres://user:password@host:port/database (postgresql:// also accepted)");
}

std::string describe_database_url(const std::string& database_url) {
  std::string out = database_url;
  const size_t scheme = out.find("://");
  if (scheme != std::string::npos) {
    // userinfo ends at the last '@' before the path: user:pass@host
    const size_t authority = scheme + 3;
    size_t authority_end = out.find_first_of("/?#", authority);
    if (authority_end == std::string::npos) authority_end = out.size();
    const size_t at = out.rfind('@', authority_end);
    if (at != std::string::npos && at >= authority) {
      const size_t colon = out.find(':', authority);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  // ?password=... / &password=... in the query string, and password=... in a conninfo string.
  for (size_t pos = out.find("password="); pos != std::string::npos; pos = out.find("password=", pos + 1)) {
    const bool at_start = pos == 0 || out[pos - 1] == '?' || out[pos - 1] == '&' || out[pos - 1] == ' ';
    if (!at_start) continue;
    const size_t value = pos + std::string_view("password=").size();
    size_t end = out.find_first_of("& #", value);
    if (end == std::string::npos) end = out.size();
    out.replace(value, end - value, "***");
  }
  return out;
}

}  // namespace dchat::store
