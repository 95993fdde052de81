#include "store/internal/sql_entry_point_repository.h"

#include "store/internal/repository_support.h"

namespace kefu::store::internal {
namespace {

constexpr std::string_view SelectEntryPoints =
    "SELECT id, number, name, target_kind, target_id, greeting, priority, enabled, created_at, "
    "updated_at FROM entry_points";

Result<call::EntryPoint> toEntryPoint(const SqlRow& row) {
  call::EntryPoint entry;
  entry.id = row.text(0);
  entry.number = row.text(1);
  entry.name = row.text(2);
  const std::string kind = row.text(3);
  const auto parsed = call::parseTargetKind(kind);
  if (!parsed) {
    return Error::internal("entry point " + entry.id + " has an unknown stored target kind '" +
                           kind + "'");
  }
  entry.target = {*parsed, row.text(4)};
  entry.greeting = row.text(5);
  entry.priority = static_cast<int>(row.int64(6));
  entry.enabled = row.int64(7) != 0;
  entry.created_at_ms = row.int64(8);
  entry.updated_at_ms = row.int64(9);
  return entry;
}

Error describeRow(const Error& error, const call::EntryPoint& entry) {
  if (isUniqueViolation(error, "number")) {
    return takenError("number", entry.number);
  }
  if (isUniqueViolation(error, "id")) {
    return takenError("id", entry.id);
  }
  return error;
}

/** Checks what the row refers to: a queue target must be a stored queue. */
Result<void> checkTarget(SqlSession& session, const call::EntryPoint& entry) {
  if (entry.target.kind != call::TargetKind::Queue) {
    return {};
  }
  auto found = session.query("SELECT 1 FROM queues WHERE id = $1", {entry.target.id});
  if (!found.ok()) {
    return found.error();
  }
  if (found->empty()) {
    return Error::invalid("target.id", "unknown queue " + entry.target.id);
  }
  return {};
}

}  // namespace

Result<void> SqlEntryPointRepository::create(const call::EntryPoint& entry) {
  KEFU_TRY(call::validate(entry));
  return database_.transact([&](SqlSession& session) -> Result<void> {
    KEFU_TRY(checkTarget(session, entry));
    auto inserted = session.exec(
        "INSERT INTO entry_points (id, number, name, target_kind, target_id, greeting, priority, "
        "enabled, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        {entry.id, entry.number, entry.name, std::string(call::toString(entry.target.kind)),
         entry.target.id, entry.greeting, std::int64_t{entry.priority},
         std::int64_t{entry.enabled ? 1 : 0}, entry.created_at_ms, entry.updated_at_ms});
    if (!inserted.ok()) {
      return describeRow(inserted.error(), entry);
    }
    return {};
  });
}

Result<call::EntryPoint> SqlEntryPointRepository::get(std::string_view id) {
  std::optional<Result<call::EntryPoint>> found;
  KEFU_TRY(database_.read([&](SqlSession& session) -> Result<void> {
    static const std::string sql = std::string(SelectEntryPoints) + " WHERE id = $1";
    auto rows = session.query(sql, {std::string(id)});
    if (!rows.ok()) {
      return rows.error();
    }
    if (!rows->empty()) {
      found = toEntryPoint(rows->front());
    }
    return {};
  }));
  if (!found) {
    return notFoundError("entry point", id);
  }
  return std::move(*found);
}

Result<std::vector<call::EntryPoint>> SqlEntryPointRepository::list() {
  std::vector<call::EntryPoint> entries;
  KEFU_TRY(database_.read([&](SqlSession& session) -> Result<void> {
    static const std::string sql = std::string(SelectEntryPoints) + " ORDER BY created_at, id";
    auto rows = session.query(sql);
    if (!rows.ok()) {
      return rows.error();
    }
    entries.reserve(rows->size());
    for (const SqlRow& row : *rows) {
      auto entry = toEntryPoint(row);
      if (!entry.ok()) {
        return entry.error();
      }
      entries.push_back(std::move(entry).value());
    }
    return {};
  }));
  return entries;
}

Result<void> SqlEntryPointRepository::update(const call::EntryPoint& entry) {
  KEFU_TRY(call::validate(entry));
  return database_.transact([&](SqlSession& session) -> Result<void> {
    KEFU_TRY(checkTarget(session, entry));
    auto changed = session.exec(
        "UPDATE entry_points SET number = $2, name = $3, target_kind = $4, target_id = $5, "
        "greeting = $6, priority = $7, enabled = $8, updated_at = $9 WHERE id = $1",
        {entry.id, entry.number, entry.name, std::string(call::toString(entry.target.kind)),
         entry.target.id, entry.greeting, std::int64_t{entry.priority},
         std::int64_t{entry.enabled ? 1 : 0}, entry.updated_at_ms});
    if (!changed.ok()) {
      return describeRow(changed.error(), entry);
    }
    if (*changed == 0) {
      return notFoundError("entry point", entry.id);
    }
    return {};
  });
}

Result<void> SqlEntryPointRepository::remove(std::string_view id) {
  return database_.transact([&](SqlSession& session) -> Result<void> {
    auto changed = session.exec("DELETE FROM entry_points WHERE id = $1", {std::string(id)});
    if (!changed.ok()) {
      return changed.error();
    }
    if (*changed == 0) {
      return notFoundError("entry point", id);
    }
    return {};
  });
}

}  // namespace kefu::store::internal
