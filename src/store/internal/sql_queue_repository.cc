#include "store/internal/sql_queue_repository.h"

#include <unordered_map>

#include "store/internal/repository_support.h"

namespace kefu::store::internal {
namespace {

constexpr std::string_view SelectQueues =
    "SELECT id, name, strategy, service_level_seconds, created_at, updated_at FROM queues";

Result<acd::Queue> toQueue(const SqlRow& row) {
  acd::Queue queue;
  queue.id = row.text(0);
  queue.name = row.text(1);
  const std::string strategy = row.text(2);
  const auto parsed = acd::parseRoutingStrategy(strategy);
  if (!parsed) {
    return Error::internal("queue " + queue.id + " has an unknown stored strategy '" + strategy +
                           "'");
  }
  queue.strategy = *parsed;
  queue.service_level_seconds = static_cast<int>(row.int64(3));
  queue.created_at_ms = row.int64(4);
  queue.updated_at_ms = row.int64(5);
  return queue;
}

Error describeRow(const Error& error, const acd::Queue& queue) {
  if (isUniqueViolation(error, "name")) {
    return takenError("name", queue.name);
  }
  if (isUniqueViolation(error, "id")) {
    return takenError("id", queue.id);
  }
  return error;
}

Result<void> insertRequirements(SqlSession& session, const acd::Queue& queue) {
  for (const acd::SkillRequirement& requirement : queue.required_skills) {
    auto inserted =
        session.exec("INSERT INTO queue_skills (queue_id, skill_id, min_level) VALUES ($1, $2, $3)",
                     {queue.id, requirement.skill_id, std::int64_t{requirement.min_level}});
    if (inserted.ok()) {
      continue;
    }
    if (isForeignKeyViolation(inserted.error())) {
      return Error::invalid("required_skills", "unknown skill " + requirement.skill_id);
    }
    if (isUniqueViolation(inserted.error())) {
      return Error::invalid("required_skills",
                            "skill " + requirement.skill_id + " is listed twice");
    }
    return inserted.error();
  }
  return {};
}

}  // namespace

Result<void> SqlQueueRepository::create(const acd::Queue& queue) {
  return database_.transact([&](SqlSession& session) -> Result<void> {
    auto inserted = session.exec(
        "INSERT INTO queues (id, name, strategy, service_level_seconds, created_at, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, $6)",
        {queue.id, queue.name, std::string(acd::toString(queue.strategy)),
         std::int64_t{queue.service_level_seconds}, queue.created_at_ms, queue.updated_at_ms});
    if (!inserted.ok()) {
      return describeRow(inserted.error(), queue);
    }
    return insertRequirements(session, queue);
  });
}

Result<acd::Queue> SqlQueueRepository::get(std::string_view id) {
  std::optional<Result<acd::Queue>> found;
  KEFU_TRY(database_.read([&](SqlSession& session) -> Result<void> {
    static const std::string sql = std::string(SelectQueues) + " WHERE id = $1";
    auto rows = session.query(sql, {std::string(id)});
    if (!rows.ok()) {
      return rows.error();
    }
    if (rows->empty()) {
      return {};
    }
    auto queue = toQueue(rows->front());
    if (!queue.ok()) {
      return queue.error();
    }
    auto skills = session.query(
        "SELECT skill_id, min_level FROM queue_skills WHERE queue_id = $1 ORDER BY skill_id",
        {std::string(id)});
    if (!skills.ok()) {
      return skills.error();
    }
    for (const SqlRow& row : *skills) {
      queue->required_skills.push_back({row.text(0), static_cast<int>(row.int64(1))});
    }
    found = std::move(queue);
    return {};
  }));
  if (!found) {
    return notFoundError("queue", id);
  }
  return std::move(*found);
}

Result<std::vector<acd::Queue>> SqlQueueRepository::list() {
  std::vector<acd::Queue> queues;
  KEFU_TRY(database_.read([&](SqlSession& session) -> Result<void> {
    static const std::string sql = std::string(SelectQueues) + " ORDER BY created_at, id";
    auto rows = session.query(sql);
    if (!rows.ok()) {
      return rows.error();
    }
    queues.reserve(rows->size());
    std::unordered_map<std::string, std::size_t> index;
    for (const SqlRow& row : *rows) {
      auto queue = toQueue(row);
      if (!queue.ok()) {
        return queue.error();
      }
      queues.push_back(std::move(queue).value());
      index.emplace(queues.back().id, queues.size() - 1);
    }
    auto skills =
        session.query("SELECT queue_id, skill_id, min_level FROM queue_skills ORDER BY skill_id");
    if (!skills.ok()) {
      return skills.error();
    }
    for (const SqlRow& row : *skills) {
      auto it = index.find(row.text(0));
      if (it != index.end()) {
        queues[it->second].required_skills.push_back({row.text(1), static_cast<int>(row.int64(2))});
      }
    }
    return {};
  }));
  return queues;
}

Result<void> SqlQueueRepository::update(const acd::Queue& queue) {
  return database_.transact([&](SqlSession& session) -> Result<void> {
    auto changed = session.exec(
        "UPDATE queues SET name = $2, strategy = $3, service_level_seconds = $4, updated_at = $5 "
        "WHERE id = $1",
        {queue.id, queue.name, std::string(acd::toString(queue.strategy)),
         std::int64_t{queue.service_level_seconds}, queue.updated_at_ms});
    if (!changed.ok()) {
      return describeRow(changed.error(), queue);
    }
    if (*changed == 0) {
      return notFoundError("queue", queue.id);
    }
    auto cleared = session.exec("DELETE FROM queue_skills WHERE queue_id = $1", {queue.id});
    if (!cleared.ok()) {
      return cleared.error();
    }
    return insertRequirements(session, queue);
  });
}

Result<void> SqlQueueRepository::remove(std::string_view id) {
  return database_.transact([&](SqlSession& session) -> Result<void> {
    auto changed = session.exec("DELETE FROM queues WHERE id = $1", {std::string(id)});
    if (!changed.ok()) {
      return changed.error();
    }
    if (*changed == 0) {
      return notFoundError("queue", id);
    }
    return {};
  });
}

}  // namespace kefu::store::internal
