#include "store/internal/sql_error.h"

#include <sqlite3.h>

#include <string>

namespace kefu::store::internal {
namespace {

/** "UNIQUE constraint failed: agents.extension" → "extension" (first column when several). */
std::string sqliteConstraintColumn(std::string_view message) {
  const auto colon = message.find(": ");
  if (colon == std::string_view::npos) {
    return {};
  }
  std::string_view rest = message.substr(colon + 2);
  rest = rest.substr(0, rest.find(','));
  const auto dot = rest.find('.');
  if (dot != std::string_view::npos) {
    rest = rest.substr(dot + 1);
  }
  return std::string(rest);
}

/** "DETAIL:  Key (extension)=(1001) already exists." → "extension". */
std::string postgresKeyColumn(std::string_view message) {
  const auto key = message.find("Key (");
  if (key == std::string_view::npos) {
    return {};
  }
  std::string_view rest = message.substr(key + 5);
  const auto close = rest.find(")=");
  if (close == std::string_view::npos) {
    return {};
  }
  return std::string(rest.substr(0, close));
}

std::string firstLine(std::string_view message) {
  return std::string(message.substr(0, message.find('\n')));
}

}  // namespace

Error sqliteError(int extended_code, std::string_view message) {
  switch (extended_code) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return {ErrorCode::AlreadyExists, std::string(message), sqliteConstraintColumn(message)};
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return {ErrorCode::Conflict, std::string(message), {}};
    default:
      break;
  }
  // A RESTRICT action raises a plain SQLITE_CONSTRAINT; only the message says which kind.
  if ((extended_code & 0xff) == SQLITE_CONSTRAINT) {
    if (message.find("FOREIGN KEY constraint failed") != std::string_view::npos) {
      return {ErrorCode::Conflict, std::string(message), {}};
    }
    if (message.find("UNIQUE constraint failed") != std::string_view::npos) {
      return {ErrorCode::AlreadyExists, std::string(message), sqliteConstraintColumn(message)};
    }
  }
  switch (extended_code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
      return {ErrorCode::Unavailable, "database unavailable: " + std::string(message), {}};
    default:
      return Error::internal("database error: " + std::string(message));
  }
}

Error postgresError(std::string_view sqlstate, std::string_view message) {
  if (sqlstate == "23505") {
    return {ErrorCode::AlreadyExists, firstLine(message), postgresKeyColumn(message)};
  }
  if (sqlstate == "23503") {
    return {ErrorCode::Conflict, firstLine(message), postgresKeyColumn(message)};
  }
  // Class 08 (connection), 53 (resources), 57P (shutdown), 40 (serialization, deadlock): retryable.
  if (sqlstate.starts_with("08") || sqlstate.starts_with("53") || sqlstate.starts_with("57P") ||
      sqlstate.starts_with("40")) {
    return {ErrorCode::Unavailable, "database unavailable: " + firstLine(message), {}};
  }
  return Error::internal("database error: " + firstLine(message));
}

}  // namespace kefu::store::internal
