#pragma once

#include "acd/routing_log.h"
#include "store/internal/sql_database.h"

namespace kefu::store::internal {

/** The routing event log in `routing_events`, numbered by `seq`. Thread-safe; every call blocks
 *  on the database. */
class SqlRoutingLog final : public acd::RoutingLog {
 public:
  explicit SqlRoutingLog(SqlDatabase& database) : database_(database) {}

  /** Appends `events` in one transaction. */
  Result<void> append(std::span<const acd::RoutingEvent> events) override;
  /** @return the events at or after `from_ms` in the order they were appended; Internal naming
   *  the row when a stored name is unknown. */
  Result<std::vector<acd::RoutingEvent>> since(std::int64_t from_ms) override;

 private:
  // Not owned, outlives this.
  SqlDatabase& database_;
};

}  // namespace kefu::store::internal
