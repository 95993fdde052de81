#pragma once

#include <string>

#include "core/result.h"
#include "store/internal/sql_database.h"

namespace kefu::store::internal {

/**
 * Connects to PostgreSQL at `url` (a libpq URI or key=value string) with up to `pool_size`
 * connections, opened on first need and reopened after a connection is lost. Statements are
 * prepared once per connection. Opens one connection at once to report an unreachable server.
 * @return Unavailable when the server cannot be reached.
 */
Result<SqlDatabasePtr> openPostgresDatabase(const std::string& url, std::size_t pool_size);

}  // namespace kefu::store::internal
