#include "store/internal/sql_audit_trail.h"

namespace kefu::store::internal {

Result<std::int64_t> SqlAuditTrail::append(const std::vector<privacy::AuditEntry>& entries) {
  std::int64_t last = 0;
  // PostgreSQL: the row lock orders concurrent appenders; SQLite already runs one writer at a time.
  const std::string lock_head = database_.backend() == "postgresql"
                                    ? "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE"
                                    : "SELECT seq, hash FROM audit_head WHERE id = 1";
  KEFU_TRY(database_.transact([&](SqlSession& session) -> Result<void> {
    auto head = session.query(lock_head);
    if (!head) {
      return head.error();
    }
    if (head->empty()) {
      return Error::internal("audit_head has no row: the audit trail was tampered with");
    }
    std::int64_t seq = head->front().int64(0);
    std::string hash = head->front().text(1);
    for (const auto& entry : entries) {
      auto record = privacy::chainAuditRecord(entry, seq, hash);
      const auto& e = record.entry;
      auto inserted = session.exec(
          "INSERT INTO audit_log (seq, at_ms, site, actor, action, entity, entity_id, field, "
          "prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
          {record.seq, e.at_ms, e.site, e.actor, e.action, e.entity, e.entity_id, e.field,
           record.prev_hash, record.hash});
      if (!inserted) {
        return inserted.error();
      }
      seq = record.seq;
      hash = record.hash;
    }
    auto updated =
        session.exec("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1", {seq, hash});
    if (!updated) {
      return updated.error();
    }
    last = seq;
    return {};
  }));
  return last;
}

Result<std::vector<privacy::AuditRecord>> SqlAuditTrail::list(std::int64_t after_seq,
                                                              std::size_t limit) {
  std::vector<privacy::AuditRecord> records;
  KEFU_TRY(database_.read([&](SqlSession& session) -> Result<void> {
    auto rows = session.query(
        "SELECT seq, at_ms, site, actor, action, entity, entity_id, field, prev_hash, hash "
        "FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2",
        {after_seq, static_cast<std::int64_t>(limit)});
    if (!rows) {
      return rows.error();
    }
    records.reserve(rows->size());
    for (const SqlRow& row : *rows) {
      records.push_back({row.int64(0),
                         {row.int64(1), row.text(2), row.text(3), row.text(4), row.text(5),
                          row.text(6), row.text(7)},
                         row.text(8),
                         row.text(9)});
    }
    return {};
  }));
  return records;
}

Result<std::optional<privacy::AuditHead>> SqlAuditTrail::head() {
  std::optional<privacy::AuditHead> head;
  KEFU_TRY(database_.read([&](SqlSession& session) -> Result<void> {
    auto rows = session.query("SELECT seq, hash FROM audit_head WHERE id = 1");
    if (!rows) {
      return rows.error();
    }
    if (!rows->empty()) {
      head = privacy::AuditHead{rows->front().int64(0), rows->front().text(1)};
    }
    return {};
  }));
  return head;
}

}  // namespace kefu::store::internal
