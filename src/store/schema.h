#pragma once

#include <span>
#include <string_view>

#include "privacy/data_class.h"

namespace kefu::store {

/** One stored column and its data class: what the hybrid sync and residency policy read. */
struct ColumnClass {
  std::string_view table;
  std::string_view column;
  privacy::DataClass data_class;
};

/**
 * Every column of every table the migrations create, with its data class. A test compares it with
 * the migrated schema of both backends, so a migration that adds a column must declare it here.
 */
std::span<const ColumnClass> schemaColumns();

}  // namespace kefu::store
