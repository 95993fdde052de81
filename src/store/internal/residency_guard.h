#pragma once

#include <cstdint>

#include "privacy/residency_policy.h"
#include "store/internal/sql_database.h"

namespace kefu::store::internal {

/**
 * @return `inner` behind a guard that checks every statement any repository (or any other code)
 * runs against the residency policy before the database sees it: on a site whose policy forbids
 * core-class values in clear, an INSERT or UPDATE that would put anything but NULL, an empty text
 * or a sealed value (privacy/field_cipher.h) into a core-class column is refused with
 * PermissionDenied naming `table.column`, and so is any write the guard cannot read (INSERT …
 * SELECT, literals, expressions) into a table holding core-class columns. The schema's
 * declarations (store/schema.h) and the policy's overrides decide the classes.
 */
SqlDatabasePtr guardResidency(SqlDatabasePtr inner, privacy::ResidencyPolicy policy);

/** @return how many writes residency guards of this process have refused. */
std::uint64_t residencyRefusals();

}  // namespace kefu::store::internal
