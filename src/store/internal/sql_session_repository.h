#pragma once

#include "auth/session.h"
#include "store/internal/sql_database.h"

namespace kefu::store::internal {

/** Sessions in the `sessions` table. Thread-safe; every call blocks on the database. */
class SqlSessionRepository final : public auth::SessionRepository {
 public:
  explicit SqlSessionRepository(SqlDatabase& database) : database_(database) {}

  Result<void> create(const auth::Session& session) override;
  Result<auth::Session> get(std::string_view token_hash) override;
  Result<void> remove(std::string_view token_hash) override;
  Result<void> removeForUser(std::string_view user_id) override;
  Result<std::int64_t> removeExpired(std::int64_t now_ms) override;

 private:
  Result<std::int64_t> execWrite(std::string_view sql, SqlValue param);

  // Not owned, outlives this.
  SqlDatabase& database_;
};

}  // namespace kefu::store::internal
