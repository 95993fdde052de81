#pragma once

#include <span>

#include "store/internal/sql_database.h"

namespace kefu::store::internal {

/** Every schema migration, oldest first, in both dialects. Append only: never edit a shipped one.
 */
std::span<const Migration> migrations();

}  // namespace kefu::store::internal
