#pragma once

#include "call/wrap_up.h"
#include "store/internal/sql_database.h"

namespace kefu::store::internal {

/**
 * Wrap-ups in `wrap_ups`, one row per call and agent: a second wrap-up of the same call by the
 * same agent replaces the first (the agent corrected it). The notes are content-class and the
 * disposition operational (store/schema.cc). Thread-safe; every call blocks on the database.
 */
class SqlWrapUpRepository final : public call::WrapUpRepository {
 public:
  explicit SqlWrapUpRepository(SqlDatabase& database) : database_(database) {}

  /** Replaces the agent's earlier wrap-up of the call, in one transaction. */
  Result<void> save(const call::WrapUpRecord& record) override;
  /** @return the call's wrap-ups, oldest first. */
  Result<std::vector<call::WrapUpRecord>> ofCall(std::string_view call_id) override;
  /** @return the wrap-ups of the calls, read in one snapshot. */
  Result<std::vector<call::WrapUpRecord>> ofCalls(
      const std::vector<std::string>& call_ids) override;

 private:
  // Not owned, outlives this.
  SqlDatabase& database_;
};

}  // namespace kefu::store::internal
