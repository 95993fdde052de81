#pragma once

#include "acd/queue.h"
#include "store/internal/sql_database.h"

namespace kefu::store::internal {

/**
 * Queues in `queues` with their routing settings, their required skills in `queue_skills`,
 * relaxation steps in `queue_relaxation_steps` and overflow rules in `queue_overflow_rules`,
 * written together in one transaction. Requirements come back ordered by skill id, steps by time,
 * rules in their order. Thread-safe; blocks on the database.
 */
class SqlQueueRepository final : public acd::QueueRepository {
 public:
  explicit SqlQueueRepository(SqlDatabase& database) : database_(database) {}

  /**
   * InvalidArgument naming `required_skills` when a skill is unknown, `overflow[i].target` when a
   * target that is a queue id (it contains '_') names no stored queue; nothing is written.
   */
  Result<void> create(const acd::Queue& queue) override;
  Result<acd::Queue> get(std::string_view id) override;
  /** Two queries (queues, then all their requirements), joined in memory. */
  Result<std::vector<acd::Queue>> list() override;
  /** Replaces the row, the whole requirement list, the steps and the rules. */
  Result<void> update(const acd::Queue& queue) override;
  /** Conflict while another queue's overflow rule or an entry point targets it. */
  Result<void> remove(std::string_view id) override;

 private:
  // Not owned, outlives this.
  SqlDatabase& database_;
};

}  // namespace kefu::store::internal
