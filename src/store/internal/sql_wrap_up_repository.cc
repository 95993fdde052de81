#include "store/internal/sql_wrap_up_repository.h"

namespace kefu::store::internal {
namespace {

constexpr std::string_view SelectOfCall =
    "SELECT call_id, agent_id, at_ms, queue_id, disposition, notes FROM wrap_ups WHERE call_id = "
    "$1 ORDER BY at_ms, agent_id";

call::WrapUpRecord toRecord(const SqlRow& row) {
  call::WrapUpRecord record;
  record.call_id = row.text(0);
  record.agent_id = row.text(1);
  record.at_ms = row.int64(2);
  record.queue_id = row.text(3);
  record.disposition = row.text(4);
  record.notes = row.text(5);
  return record;
}

/** Appends the wrap-ups of `call_id` to `out`. */
Result<void> readCall(SqlSession& session, std::string_view call_id,
                      std::vector<call::WrapUpRecord>& out) {
  auto rows = session.query(SelectOfCall, {std::string(call_id)});
  if (!rows.ok()) {
    return rows.error();
  }
  for (const SqlRow& row : *rows) {
    out.push_back(toRecord(row));
  }
  return {};
}

}  // namespace

Result<void> SqlWrapUpRepository::save(const call::WrapUpRecord& record) {
  if (record.call_id.empty()) {
    return Error::invalid("call_id", "a wrap-up needs its call id");
  }
  if (record.agent_id.empty()) {
    return Error::invalid("agent_id", "a wrap-up needs its agent id");
  }
  if (record.disposition.empty()) {
    return Error::invalid("disposition", "a wrap-up needs a disposition");
  }
  return database_.transact([&](SqlSession& session) -> Result<void> {
    // Delete and insert rather than an upsert: the same statement on both backends.
    auto removed = session.exec("DELETE FROM wrap_ups WHERE call_id = $1 AND agent_id = $2",
                                {record.call_id, record.agent_id});
    if (!removed.ok()) {
      return removed.error();
    }
    auto inserted = session.exec(
        "INSERT INTO wrap_ups (call_id, agent_id, at_ms, queue_id, disposition, notes) VALUES "
        "($1, $2, $3, $4, $5, $6)",
        {record.call_id, record.agent_id, record.at_ms, record.queue_id, record.disposition,
         record.notes});
    if (!inserted.ok()) {
      return inserted.error();
    }
    return {};
  });
}

Result<std::vector<call::WrapUpRecord>> SqlWrapUpRepository::ofCall(std::string_view call_id) {
  std::vector<call::WrapUpRecord> records;
  KEFU_TRY(database_.read(
      [&](SqlSession& session) -> Result<void> { return readCall(session, call_id, records); }));
  return records;
}

Result<std::vector<call::WrapUpRecord>> SqlWrapUpRepository::ofCalls(
    const std::vector<std::string>& call_ids) {
  std::vector<call::WrapUpRecord> records;
  if (call_ids.empty()) {
    return records;
  }
  KEFU_TRY(database_.read([&](SqlSession& session) -> Result<void> {
    for (const auto& id : call_ids) {
      KEFU_TRY(readCall(session, id, records));
    }
    return {};
  }));
  return records;
}

}  // namespace kefu::store::internal
