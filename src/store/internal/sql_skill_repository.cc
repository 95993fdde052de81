#include "store/internal/sql_skill_repository.h"

#include "store/internal/repository_support.h"

namespace kefu::store::internal {
namespace {

acd::Skill toSkill(const SqlRow& row) {
  return acd::Skill{row.text(0), row.text(1), row.text(2), row.int64(3), row.int64(4)};
}

Error describe(const Error& error, const acd::Skill& skill) {
  if (isUniqueViolation(error, "name")) {
    return takenError("name", skill.name);
  }
  if (isUniqueViolation(error, "id")) {
    return takenError("id", skill.id);
  }
  return error;
}

std::string counted(std::int64_t n, std::string_view noun) {
  return std::to_string(n) + " " + std::string(noun) + (n == 1 ? "" : "s");
}

}  // namespace

Result<void> SqlSkillRepository::create(const acd::Skill& skill) {
  Result<void> result = database_.transact([&](SqlSession& session) -> Result<void> {
    auto inserted = session.exec(
        "INSERT INTO skills (id, name, description, created_at, updated_at) "
        "VALUES ($1, $2, $3, $4, $5)",
        {skill.id, skill.name, skill.description, skill.created_at_ms, skill.updated_at_ms});
    if (!inserted.ok()) {
      return inserted.error();
    }
    return {};
  });
  if (!result.ok()) {
    return describe(result.error(), skill);
  }
  return {};
}

Result<acd::Skill> SqlSkillRepository::get(std::string_view id) {
  std::optional<acd::Skill> found;
  KEFU_TRY(database_.read([&](SqlSession& session) -> Result<void> {
    auto rows = session.query(
        "SELECT id, name, description, created_at, updated_at FROM skills WHERE id = $1",
        {std::string(id)});
    if (!rows.ok()) {
      return rows.error();
    }
    if (!rows->empty()) {
      found = toSkill(rows->front());
    }
    return {};
  }));
  if (!found) {
    return notFoundError("skill", id);
  }
  return std::move(*found);
}

Result<std::vector<acd::Skill>> SqlSkillRepository::list() {
  std::vector<acd::Skill> skills;
  KEFU_TRY(database_.read([&](SqlSession& session) -> Result<void> {
    auto rows = session.query(
        "SELECT id, name, description, created_at, updated_at FROM skills "
        "ORDER BY created_at, id");
    if (!rows.ok()) {
      return rows.error();
    }
    skills.reserve(rows->size());
    for (const SqlRow& row : *rows) {
      skills.push_back(toSkill(row));
    }
    return {};
  }));
  return skills;
}

Result<void> SqlSkillRepository::update(const acd::Skill& skill) {
  Result<void> result = database_.transact([&](SqlSession& session) -> Result<void> {
    auto changed =
        session.exec("UPDATE skills SET name = $2, description = $3, updated_at = $4 WHERE id = $1",
                     {skill.id, skill.name, skill.description, skill.updated_at_ms});
    if (!changed.ok()) {
      return changed.error();
    }
    if (*changed == 0) {
      return notFoundError("skill", skill.id);
    }
    return {};
  });
  if (!result.ok()) {
    return describe(result.error(), skill);
  }
  return {};
}

Result<void> SqlSkillRepository::remove(std::string_view id) {
  Result<void> result = database_.transact([&](SqlSession& session) -> Result<void> {
    auto changed = session.exec("DELETE FROM skills WHERE id = $1", {std::string(id)});
    if (!changed.ok()) {
      return changed.error();
    }
    if (*changed == 0) {
      return notFoundError("skill", id);
    }
    return {};
  });
  if (!result.ok() && isForeignKeyViolation(result.error())) {
    return inUseError(id);
  }
  return result;
}

Error SqlSkillRepository::inUseError(std::string_view id) {
  std::int64_t agents = 0;
  std::int64_t queues = 0;
  Result<void> counted_ok = database_.read([&](SqlSession& session) -> Result<void> {
    auto rows = session.query(
        "SELECT (SELECT COUNT(*) FROM agent_skills WHERE skill_id = $1), "
        "(SELECT COUNT(*) FROM queue_skills WHERE skill_id = $1)",
        {std::string(id)});
    if (!rows.ok()) {
      return rows.error();
    }
    agents = rows->at(0).int64(0);
    queues = rows->at(0).int64(1);
    return {};
  });
  std::string users;
  if (counted_ok.ok() && agents > 0) {
    users = counted(agents, "agent");
  }
  if (counted_ok.ok() && queues > 0) {
    users += (users.empty() ? "" : " and ") + counted(queues, "queue");
  }
  if (users.empty()) {
    return Error{ErrorCode::Conflict, "skill " + std::string(id) + " is in use", {}};
  }
  return Error{ErrorCode::Conflict, "skill is used by " + users, {}};
}

}  // namespace kefu::store::internal
