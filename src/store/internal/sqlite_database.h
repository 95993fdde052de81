#pragma once

#include <string>

#include "core/result.h"
#include "store/internal/sql_database.h"

namespace kefu::store::internal {

/**
 * Opens the SQLite file at `path` (created if missing) in WAL mode with foreign keys on: one
 * writer connection (write transactions are `BEGIN IMMEDIATE`, so they queue instead of failing)
 * and `readers` reader connections, so reads run concurrently with each other and with the
 * writer. `:memory:` gives a private in-memory database with reads on the writer.
 * @return Unavailable when the file cannot be opened.
 */
Result<SqlDatabasePtr> openSqliteDatabase(const std::string& path, std::size_t readers);

}  // namespace kefu::store::internal
