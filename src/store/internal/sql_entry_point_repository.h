#pragma once

#include "call/entry_point.h"
#include "store/internal/sql_database.h"

namespace kefu::store::internal {

/**
 * Entry points in `entry_points`: a dialed number (unique) and where its calls go. A queue target
 * must name a stored queue (and that queue cannot be deleted while it is one). Thread-safe; every
 * call blocks on the database.
 */
class SqlEntryPointRepository final : public call::EntryPointRepository {
 public:
  explicit SqlEntryPointRepository(SqlDatabase& database) : database_(database) {}

  /** InvalidArgument (call::validate, or `target.id` for an unknown queue); AlreadyExists
   *  naming `number` when the number is taken. */
  Result<void> create(const call::EntryPoint& entry) override;
  Result<call::EntryPoint> get(std::string_view id) override;
  /** @return every entry point, oldest first. */
  Result<std::vector<call::EntryPoint>> list() override;
  /** Replaces the row (created_at is kept); the same errors as create, NotFound when absent. */
  Result<void> update(const call::EntryPoint& entry) override;
  Result<void> remove(std::string_view id) override;

 private:
  // Not owned, outlives this.
  SqlDatabase& database_;
};

}  // namespace kefu::store::internal
