#include "store/internal/sql_agent_repository.h"

#include <unordered_map>

#include "store/internal/repository_support.h"

namespace kefu::store::internal {
namespace {

constexpr std::string_view SelectAgents =
    "SELECT id, name, extension, sip_password, user_id, created_at, updated_at, chat_capacity "
    "FROM agents";

acd::Agent toAgent(const SqlRow& row) {
  acd::Agent agent;
  agent.id = row.text(0);
  agent.name = row.text(1);
  agent.extension = row.text(2);
  agent.sip_password = row.text(3);
  agent.user_id = row.text(4);  // NULL reads as "": no login
  agent.created_at_ms = row.int64(5);
  agent.updated_at_ms = row.int64(6);
  agent.chat_capacity = static_cast<int>(row.int64(7));
  return agent;
}

/** Maps the row's own constraint failures to messages naming the field. */
Error describeRow(const Error& error, const acd::Agent& agent) {
  if (isUniqueViolation(error, "extension")) {
    return takenError("extension", agent.extension);
  }
  if (isUniqueViolation(error, "id")) {
    return takenError("id", agent.id);
  }
  if (isForeignKeyViolation(error)) {
    return Error::invalid("user_id", "unknown user " + agent.user_id);
  }
  return error;
}

/** Writes the agent's skill rows, one statement each, so a failure names the skill at fault. */
Result<void> insertSkills(SqlSession& session, const acd::Agent& agent) {
  for (const acd::SkillLevel& skill : agent.skills) {
    auto inserted =
        session.exec("INSERT INTO agent_skills (agent_id, skill_id, level) VALUES ($1, $2, $3)",
                     {agent.id, skill.skill_id, std::int64_t{skill.level}});
    if (inserted.ok()) {
      continue;
    }
    if (isForeignKeyViolation(inserted.error())) {
      return Error::invalid("skills", "unknown skill " + skill.skill_id);
    }
    if (isUniqueViolation(inserted.error())) {
      return Error::invalid("skills", "skill " + skill.skill_id + " is listed twice");
    }
    return inserted.error();
  }
  return {};
}

}  // namespace

Result<void> SqlAgentRepository::create(const acd::Agent& agent) {
  return database_.transact([&](SqlSession& session) -> Result<void> {
    auto inserted = session.exec(
        "INSERT INTO agents (id, name, extension, sip_password, user_id, created_at, updated_at, "
        "chat_capacity) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        {agent.id, agent.name, agent.extension, agent.sip_password, nullIfEmpty(agent.user_id),
         agent.created_at_ms, agent.updated_at_ms, std::int64_t{agent.chat_capacity}});
    if (!inserted.ok()) {
      return describeRow(inserted.error(), agent);
    }
    return insertSkills(session, agent);
  });
}

Result<acd::Agent> SqlAgentRepository::get(std::string_view id) {
  std::optional<acd::Agent> found;
  KEFU_TRY(database_.read([&](SqlSession& session) -> Result<void> {
    static const std::string sql = std::string(SelectAgents) + " WHERE id = $1";
    auto rows = session.query(sql, {std::string(id)});
    if (!rows.ok()) {
      return rows.error();
    }
    if (rows->empty()) {
      return {};
    }
    found = toAgent(rows->front());
    auto skills = session.query(
        "SELECT skill_id, level FROM agent_skills WHERE agent_id = $1 ORDER BY skill_id",
        {std::string(id)});
    if (!skills.ok()) {
      return skills.error();
    }
    for (const SqlRow& row : *skills) {
      found->skills.push_back({row.text(0), static_cast<int>(row.int64(1))});
    }
    return {};
  }));
  if (!found) {
    return notFoundError("agent", id);
  }
  return std::move(*found);
}

Result<std::vector<acd::Agent>> SqlAgentRepository::list() {
  std::vector<acd::Agent> agents;
  KEFU_TRY(database_.read([&](SqlSession& session) -> Result<void> {
    static const std::string sql = std::string(SelectAgents) + " ORDER BY created_at, id";
    auto rows = session.query(sql);
    if (!rows.ok()) {
      return rows.error();
    }
    agents.reserve(rows->size());
    std::unordered_map<std::string, std::size_t> index;
    index.reserve(rows->size());
    for (const SqlRow& row : *rows) {
      agents.push_back(toAgent(row));
      index.emplace(agents.back().id, agents.size() - 1);
    }
    auto skills =
        session.query("SELECT agent_id, skill_id, level FROM agent_skills ORDER BY skill_id");
    if (!skills.ok()) {
      return skills.error();
    }
    for (const SqlRow& row : *skills) {
      // Both queries read one snapshot, so every skill row has its agent; skip rather than
      // trust one that does not.
      auto it = index.find(row.text(0));
      if (it != index.end()) {
        agents[it->second].skills.push_back({row.text(1), static_cast<int>(row.int64(2))});
      }
    }
    return {};
  }));
  return agents;
}

Result<void> SqlAgentRepository::update(const acd::Agent& agent) {
  return database_.transact([&](SqlSession& session) -> Result<void> {
    auto changed = session.exec(
        "UPDATE agents SET name = $2, extension = $3, sip_password = $4, user_id = $5, "
        "updated_at = $6, chat_capacity = $7 WHERE id = $1",
        {agent.id, agent.name, agent.extension, agent.sip_password, nullIfEmpty(agent.user_id),
         agent.updated_at_ms, std::int64_t{agent.chat_capacity}});
    if (!changed.ok()) {
      return describeRow(changed.error(), agent);
    }
    if (*changed == 0) {
      return notFoundError("agent", agent.id);
    }
    auto cleared = session.exec("DELETE FROM agent_skills WHERE agent_id = $1", {agent.id});
    if (!cleared.ok()) {
      return cleared.error();
    }
    return insertSkills(session, agent);
  });
}

Result<void> SqlAgentRepository::remove(std::string_view id) {
  return database_.transact([&](SqlSession& session) -> Result<void> {
    auto changed = session.exec("DELETE FROM agents WHERE id = $1", {std::string(id)});
    if (!changed.ok()) {
      return changed.error();
    }
    if (*changed == 0) {
      return notFoundError("agent", id);
    }
    return {};
  });
}

}  // namespace kefu::store::internal
