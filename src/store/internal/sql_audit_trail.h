#pragma once

#include "privacy/audit_chain.h"
#include "store/internal/sql_database.h"

namespace kefu::store::internal {

/**
 * The audit chain in `audit_log`, its head in `audit_head` (one row, locked while appending so
 * concurrent appends never fork the chain). Append-only: nothing here updates or deletes a record.
 * Thread-safe; every call blocks on the database.
 */
class SqlAuditTrail final : public privacy::AuditTrail {
 public:
  explicit SqlAuditTrail(SqlDatabase& database) : database_(database) {}

  Result<std::int64_t> append(const std::vector<privacy::AuditEntry>& entries) override;
  Result<std::vector<privacy::AuditRecord>> list(std::int64_t after_seq,
                                                 std::size_t limit) override;
  Result<std::optional<privacy::AuditHead>> head() override;

 private:
  // Not owned, outlives this.
  SqlDatabase& database_;
};

}  // namespace kefu::store::internal
