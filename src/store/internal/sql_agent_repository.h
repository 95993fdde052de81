#pragma once

#include "acd/agent.h"
#include "store/internal/sql_database.h"

namespace kefu::store::internal {

/**
 * Agents in `agents`, their skills in `agent_skills`, written together in one transaction.
 * Skills come back ordered by skill id. Thread-safe; every call blocks on the database.
 */
class SqlAgentRepository final : public acd::AgentRepository {
 public:
  explicit SqlAgentRepository(SqlDatabase& database) : database_(database) {}

  /** InvalidArgument naming `skills` or `user_id` when a reference is unknown; nothing is written.
   */
  Result<void> create(const acd::Agent& agent) override;
  Result<acd::Agent> get(std::string_view id) override;
  /** Two queries (agents, then all their skills), joined in memory. */
  Result<std::vector<acd::Agent>> list() override;
  /** Replaces the row and the whole skill list. */
  Result<void> update(const acd::Agent& agent) override;
  Result<void> remove(std::string_view id) override;

 private:
  // Not owned, outlives this.
  SqlDatabase& database_;
};

}  // namespace kefu::store::internal
