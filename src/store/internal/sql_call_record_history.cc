// A caller's earlier calls, by the caller's phone token: what a screen pop shows as history.

#include <algorithm>

#include "store/internal/sql_call_record_repository.h"

namespace kefu::store::internal {

Result<std::vector<std::vector<call::CallEvent>>> SqlCallRecordRepository::callsOfCaller(
    std::string_view caller_token, std::string_view except_call_id, std::int64_t created_by_ms,
    std::size_t limit) {
  std::vector<std::vector<call::CallEvent>> calls;
  if (caller_token.empty() || limit == 0) {
    return calls;
  }
  limit = std::min(limit, MaxCalls);
  KEFU_TRY(database_.read([&](SqlSession& session) -> Result<void> {
    // The same shape as calls(): one statement, so the calls and their events come from one
    // snapshot, a call's rows together, newest call first. The token is on every event of the
    // call; the Created event alone picks the call (call_events_caller_token indexes it).
    static const std::string sql =
        "SELECT " + std::string(EventColumns) +
        " FROM call_events e JOIN (SELECT call_id, "
        "MAX(at_ms) AS created_ms, MAX(seq) AS created_seq FROM call_events WHERE caller_token = "
        "$1 AND type = $4 AND call_id <> $2 AND at_ms <= $5 GROUP BY call_id ORDER BY created_ms "
        "DESC, "
        "created_seq DESC LIMIT $3) c ON e.call_id = c.call_id ORDER BY c.created_ms DESC, "
        "c.created_seq DESC, e.seq";
    auto rows = session.query(
        sql,
        {std::string(caller_token), std::string(except_call_id), static_cast<std::int64_t>(limit),
         std::string(call::toString(call::CallEventType::Created)), created_by_ms});
    if (!rows.ok()) {
      return rows.error();
    }
    return groupByCall(*rows, calls);
  }));
  return calls;
}

}  // namespace kefu::store::internal
