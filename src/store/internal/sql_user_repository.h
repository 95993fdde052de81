#pragma once

#include "auth/user.h"
#include "store/internal/sql_database.h"

namespace kefu::store::internal {

/** Users in the `users` table. Thread-safe; every call blocks on the database. */
class SqlUserRepository final : public auth::UserRepository {
 public:
  explicit SqlUserRepository(SqlDatabase& database) : database_(database) {}

  Result<void> create(const auth::User& user) override;
  Result<auth::User> get(std::string_view id) override;
  Result<std::vector<auth::User>> list() override;
  Result<void> update(const auth::User& user) override;
  Result<void> remove(std::string_view id) override;
  Result<auth::User> getByUsername(std::string_view username) override;

 private:
  Result<auth::User> getWhere(std::string_view sql, std::string_view key, std::string_view what);

  // Not owned, outlives this.
  SqlDatabase& database_;
};

}  // namespace kefu::store::internal
