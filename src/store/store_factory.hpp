#pragma once
// Which Store a DATABASE_URL means, in one place for chatd, tools and tests:
//   sqlite:PATH                         SqliteStore on the file PATH (sqlite::memory: for a private
//                                       in-memory database)
//   postgres://user:pass@host:port/db   PgStore (postgresql:// too; query options such as
//                                       ?sslmode=require are passed to libpq)
#include <functional>
#include <memory>
#include <string>

#include "store/store.hpp"

namespace dchat::store {

using StoreFactoryFn = std::function<std::unique_ptr<Store>()>;

// A factory that opens a new Store (its own connection) on `database_url` each time it is
// called; migrate() is not called. Throws std::invalid_argument, saying what is accepted, when
// the URL is neither form (checked here, before any connection is tried).
StoreFactoryFn make_store_factory(const std::string& database_url);


// The URL with any password replaced by "***" (user:pass@ and ?password=...), for logs and
// error messages.
std::string describe_database_url(const std::string& database_url);

}  // namespace dchat::store
