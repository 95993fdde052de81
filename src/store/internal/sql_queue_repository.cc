#include "store/internal/sql_queue_repository.h"

#include <algorithm>
#include <chrono>
#include <unordered_map>

#include "store/internal/repository_support.h"

namespace kefu::store::internal {
namespace {

constexpr std::string_view SelectQueues =
    "SELECT id, name, strategy, service_level_seconds, created_at, updated_at, max_size, "
    "wrap_up_ms, alert_timeout_ms, sticky_window_ms, callback_timeout_ms, short_abandon_ms, "
    "callback_enabled FROM queues";

using std::chrono::milliseconds;

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
  queue.max_size = static_cast<std::size_t>(std::max<std::int64_t>(0, row.int64(6)));
  queue.wrap_up = milliseconds{row.int64(7)};
  queue.alert_timeout = milliseconds{row.int64(8)};
  queue.sticky_window = milliseconds{row.int64(9)};
  queue.callback_timeout = milliseconds{row.int64(10)};
  queue.short_abandon = milliseconds{row.int64(11)};
  queue.callback_enabled = row.int64(12) != 0;
  return queue;
}

/** The settings columns of `queue`, in the order of the statements below ($4 … $10). */
std::vector<SqlValue> settingsParams(const acd::Queue& queue) {
  return {static_cast<std::int64_t>(queue.max_size),
          static_cast<std::int64_t>(queue.wrap_up.count()),
          static_cast<std::int64_t>(queue.alert_timeout.count()),
          static_cast<std::int64_t>(queue.sticky_window.count()),
          static_cast<std::int64_t>(queue.callback_timeout.count()),
          static_cast<std::int64_t>(queue.short_abandon.count()),
          std::int64_t{queue.callback_enabled ? 1 : 0}};
}

acd::RelaxationStep toStep(const SqlRow& row, std::size_t first) {
  return {milliseconds{row.int64(first)}, static_cast<int>(row.int64(first + 1))};
}

acd::OverflowRule toRule(const SqlRow& row, std::size_t first) {
  return {milliseconds{row.int64(first)},
          static_cast<std::size_t>(std::max<std::int64_t>(0, row.int64(first + 1))),
          row.text(first + 2)};
}

/** A stored overflow target with '_' is a queue id (every id is `prefix_ULID`), not a pool. */
bool namesQueue(std::string_view target) { return target.find('_') != std::string_view::npos; }

/** Writes the queue's relaxation steps and overflow rules; the targets that name a queue must
 *  name a stored one. */
Result<void> insertRules(SqlSession& session, const acd::Queue& queue) {
  for (const acd::RelaxationStep& step : queue.relaxation) {
    auto inserted = session.exec(
        "INSERT INTO queue_relaxation_steps (queue_id, after_ms, min_level) VALUES ($1, $2, $3)",
        {queue.id, static_cast<std::int64_t>(step.after.count()), std::int64_t{step.min_level}});
    if (!inserted.ok()) {
      if (isUniqueViolation(inserted.error())) {
        return Error::invalid("relaxation", "two steps at the same time");
      }
      return inserted.error();
    }
  }
  for (std::size_t i = 0; i < queue.overflow.size(); ++i) {
    const acd::OverflowRule& rule = queue.overflow[i];
    if (namesQueue(rule.target)) {
      auto found = session.query("SELECT 1 FROM queues WHERE id = $1", {rule.target});
      if (!found.ok()) {
        return found.error();
      }
      if (found->empty()) {
        return Error::invalid("overflow[" + std::to_string(i) + "].target",
                              "unknown queue " + rule.target);
      }
    }
    auto inserted = session.exec(
        "INSERT INTO queue_overflow_rules (queue_id, position, after_wait_ms, above_size, target) "
        "VALUES ($1, $2, $3, $4, $5)",
        {queue.id, static_cast<std::int64_t>(i), static_cast<std::int64_t>(rule.after_wait.count()),
         static_cast<std::int64_t>(rule.above_size), rule.target});
    if (!inserted.ok()) {
      return inserted.error();
    }
  }
  return {};
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
    std::vector<SqlValue> params{queue.id, queue.name, std::string(acd::toString(queue.strategy))};
    auto settings = settingsParams(queue);
    params.insert(params.end(), settings.begin(), settings.end());
    params.insert(params.end(), {std::int64_t{queue.service_level_seconds}, queue.created_at_ms,
                                 queue.updated_at_ms});
    auto inserted = session.exec(
        "INSERT INTO queues (id, name, strategy, max_size, wrap_up_ms, alert_timeout_ms, "
        "sticky_window_ms, callback_timeout_ms, short_abandon_ms, callback_enabled, "
        "service_level_seconds, created_at, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        params);
    if (!inserted.ok()) {
      return describeRow(inserted.error(), queue);
    }
    KEFU_TRY(insertRequirements(session, queue));
    return insertRules(session, queue);
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
    auto steps = session.query(
        "SELECT after_ms, min_level FROM queue_relaxation_steps WHERE queue_id = $1 "
        "ORDER BY after_ms",
        {std::string(id)});
    if (!steps.ok()) {
      return steps.error();
    }
    for (const SqlRow& row : *steps) {
      queue->relaxation.push_back(toStep(row, 0));
    }
    auto rules = session.query(
        "SELECT after_wait_ms, above_size, target FROM queue_overflow_rules WHERE queue_id = $1 "
        "ORDER BY position",
        {std::string(id)});
    if (!rules.ok()) {
      return rules.error();
    }
    for (const SqlRow& row : *rules) {
      queue->overflow.push_back(toRule(row, 0));
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
    auto steps = session.query(
        "SELECT queue_id, after_ms, min_level FROM queue_relaxation_steps ORDER BY after_ms");
    if (!steps.ok()) {
      return steps.error();
    }
    for (const SqlRow& row : *steps) {
      auto it = index.find(row.text(0));
      if (it != index.end()) {
        queues[it->second].relaxation.push_back(toStep(row, 1));
      }
    }
    auto rules = session.query(
        "SELECT queue_id, after_wait_ms, above_size, target FROM queue_overflow_rules "
        "ORDER BY position");
    if (!rules.ok()) {
      return rules.error();
    }
    for (const SqlRow& row : *rules) {
      auto it = index.find(row.text(0));
      if (it != index.end()) {
        queues[it->second].overflow.push_back(toRule(row, 1));
      }
    }
    return {};
  }));
  return queues;
}

Result<void> SqlQueueRepository::update(const acd::Queue& queue) {
  return database_.transact([&](SqlSession& session) -> Result<void> {
    std::vector<SqlValue> params{queue.id, queue.name, std::string(acd::toString(queue.strategy))};
    auto settings = settingsParams(queue);
    params.insert(params.end(), settings.begin(), settings.end());
    params.insert(params.end(), {std::int64_t{queue.service_level_seconds}, queue.updated_at_ms});
    auto changed = session.exec(
        "UPDATE queues SET name = $2, strategy = $3, max_size = $4, wrap_up_ms = $5, "
        "alert_timeout_ms = $6, sticky_window_ms = $7, callback_timeout_ms = $8, "
        "short_abandon_ms = $9, callback_enabled = $10, service_level_seconds = $11, "
        "updated_at = $12 WHERE id = $1",
        params);
    if (!changed.ok()) {
      return describeRow(changed.error(), queue);
    }
    if (*changed == 0) {
      return notFoundError("queue", queue.id);
    }
    for (std::string_view table :
         {"queue_skills", "queue_relaxation_steps", "queue_overflow_rules"}) {
      auto cleared =
          session.exec("DELETE FROM " + std::string(table) + " WHERE queue_id = $1", {queue.id});
      if (!cleared.ok()) {
        return cleared.error();
      }
    }
    KEFU_TRY(insertRequirements(session, queue));
    return insertRules(session, queue);
  });
}

Result<void> SqlQueueRepository::remove(std::string_view id) {
  return database_.transact([&](SqlSession& session) -> Result<void> {
    // Overflow targets have no foreign key (a target may be a pool), so the reference is checked
    // here, in the deleting transaction.
    auto referring = session.query(
        "SELECT queue_id FROM queue_overflow_rules WHERE target = $1 AND queue_id <> $1 "
        "ORDER BY queue_id LIMIT 1",
        {std::string(id)});
    if (!referring.ok()) {
      return referring.error();
    }
    if (!referring->empty()) {
      return Error{ErrorCode::Conflict,
                   "queue " + std::string(id) + " is an overflow target of queue " +
                       referring->front().text(0),
                   {}};
    }
    auto entry = session.query(
        "SELECT number FROM entry_points WHERE target_kind = 'queue' AND target_id = $1 "
        "ORDER BY number LIMIT 1",
        {std::string(id)});
    if (!entry.ok()) {
      return entry.error();
    }
    if (!entry->empty()) {
      return Error{
          ErrorCode::Conflict,
          "queue " + std::string(id) + " is the target of entry point " + entry->front().text(0),
          {}};
    }
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
