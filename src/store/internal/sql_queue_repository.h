#pragma once

#include "acd/queue.h"
#include "store/internal/sql_database.h"

namespace kefu::store::internal {

/**
 * Queues in `queues`, their required skills in `queue_skills`, written together in one
 * transaction. Requirements come back ordered by skill id. Thread-safe; blocks on the database.
 */
class SqlQueueRepository final : public acd::QueueRepository {
 public:
  explicit SqlQueueRepository(SqlDatabase& database) : database_(database) {}

  /** InvalidArgument naming `required_skills` when a skill is unknown; nothing is written. */
  Result<void> create(const acd::Queue& queue) override;
  Result<acd::Queue> get(std::string_view id) override;
  /** Two queries (queues, then all their requirements), joined in memory. */
  Result<std::vector<acd::Queue>> list() override;
  /** Replaces the row and the whole requirement list. */
  Result<void> update(const acd::Queue& queue) override;
  Result<void> remove(std::string_view id) override;

 private:
  // Not owned, outlives this.
  SqlDatabase& database_;
};

}  // namespace kefu::store::internal
