#pragma once

#include <string_view>

#include "core/error.h"

namespace kefu::store::internal {

/**
 * Turns a SQLite failure (extended result code and message) into an Error, as SqlSession
 * documents: unique → AlreadyExists with the column, foreign key → Conflict, busy → Unavailable.
 */
Error sqliteError(int extended_code, std::string_view message);

/** The same for PostgreSQL, from the SQLSTATE and the server's message (with its DETAIL line). */
Error postgresError(std::string_view sqlstate, std::string_view message);

}  // namespace kefu::store::internal
