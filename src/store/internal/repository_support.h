#pragma once

#include <string>
#include <string_view>

#include "core/error.h"

namespace kefu::store::internal {

// Small helpers the SQL repositories share to turn SqlSession errors into messages that name
// what the caller sent.

/** @return AlreadyExists "`field` `value` is taken", naming the field. */
inline Error takenError(std::string_view field, std::string_view value) {
  return {ErrorCode::AlreadyExists, std::string(field) + " " + std::string(value) + " is taken",
          std::string(field)};
}

/** @return NotFound "`entity` `id` not found". */
inline Error notFoundError(std::string_view entity, std::string_view id) {
  return Error::notFound(std::string(entity) + " " + std::string(id) + " not found");
}

/** True for a foreign key violation as SqlSession reports it. */
inline bool isForeignKeyViolation(const Error& error) { return error.code == ErrorCode::Conflict; }

/** True for a unique violation; `column` (when not empty) must match the reported column. */
inline bool isUniqueViolation(const Error& error, std::string_view column = {}) {
  return error.code == ErrorCode::AlreadyExists && (column.empty() || error.field == column);
}

}  // namespace kefu::store::internal
