#pragma once

#include "acd/skill.h"
#include "store/internal/sql_database.h"

namespace kefu::store::internal {

/** Skills in the `skills` table. Thread-safe; every call blocks on the database. */
class SqlSkillRepository final : public acd::SkillRepository {
 public:
  explicit SqlSkillRepository(SqlDatabase& database) : database_(database) {}

  Result<void> create(const acd::Skill& skill) override;
  Result<acd::Skill> get(std::string_view id) override;
  Result<std::vector<acd::Skill>> list() override;
  Result<void> update(const acd::Skill& skill) override;
  /** Conflict ("skill is used by 3 agents and 1 queue") while agents or queues list it. */
  Result<void> remove(std::string_view id) override;

 private:
  Error inUseError(std::string_view id);

  // Not owned, outlives this.
  SqlDatabase& database_;
};

}  // namespace kefu::store::internal
