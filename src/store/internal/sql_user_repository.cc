#include "store/internal/sql_user_repository.h"

#include "store/internal/repository_support.h"

namespace kefu::store::internal {
namespace {

constexpr std::string_view Columns =
    "id, username, display_name, role, password_hash, created_at, updated_at";

Result<auth::User> toUser(const SqlRow& row) {
  auth::User user;
  user.id = row.text(0);
  user.username = row.text(1);
  user.display_name = row.text(2);
  const std::string role = row.text(3);
  const auto parsed = auth::parseRole(role);
  if (!parsed) {
    return Error::internal("user " + user.id + " has an unknown stored role '" + role + "'");
  }
  user.role = *parsed;
  user.password_hash = row.text(4);
  user.created_at_ms = row.int64(5);
  user.updated_at_ms = row.int64(6);
  return user;
}

Error describe(const Error& error, const auth::User& user) {
  if (isUniqueViolation(error, "username")) {
    return takenError("username", user.username);
  }
  if (isUniqueViolation(error, "id")) {
    return takenError("id", user.id);
  }
  return error;
}

}  // namespace

Result<void> SqlUserRepository::create(const auth::User& user) {
  Result<void> result = database_.transact([&](SqlSession& session) -> Result<void> {
    auto inserted = session.exec(
        "INSERT INTO users (id, username, display_name, role, password_hash, created_at, "
        "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        {user.id, user.username, user.display_name, std::string(auth::toString(user.role)),
         user.password_hash, user.created_at_ms, user.updated_at_ms});
    if (!inserted.ok()) {
      return inserted.error();
    }
    return {};
  });
  if (!result.ok()) {
    return describe(result.error(), user);
  }
  return {};
}

Result<auth::User> SqlUserRepository::getWhere(std::string_view sql, std::string_view key,
                                               std::string_view what) {
  std::optional<Result<auth::User>> found;
  KEFU_TRY(database_.read([&](SqlSession& session) -> Result<void> {
    auto rows = session.query(sql, {std::string(key)});
    if (!rows.ok()) {
      return rows.error();
    }
    if (!rows->empty()) {
      found = toUser(rows->front());
    }
    return {};
  }));
  if (!found) {
    return notFoundError(what, key);
  }
  return std::move(*found);
}

Result<auth::User> SqlUserRepository::get(std::string_view id) {
  static const std::string sql = "SELECT " + std::string(Columns) + " FROM users WHERE id = $1";
  return getWhere(sql, id, "user");
}

Result<auth::User> SqlUserRepository::getByUsername(std::string_view username) {
  static const std::string sql =
      "SELECT " + std::string(Columns) + " FROM users WHERE username = $1";
  return getWhere(sql, username, "user");
}

Result<std::vector<auth::User>> SqlUserRepository::list() {
  static const std::string sql =
      "SELECT " + std::string(Columns) + " FROM users ORDER BY created_at, id";
  std::vector<auth::User> users;
  KEFU_TRY(database_.read([&](SqlSession& session) -> Result<void> {
    auto rows = session.query(sql);
    if (!rows.ok()) {
      return rows.error();
    }
    users.reserve(rows->size());
    for (const SqlRow& row : *rows) {
      auto user = toUser(row);
      if (!user.ok()) {
        return user.error();
      }
      users.push_back(std::move(user).value());
    }
    return {};
  }));
  return users;
}

Result<void> SqlUserRepository::update(const auth::User& user) {
  Result<void> result = database_.transact([&](SqlSession& session) -> Result<void> {
    auto changed = session.exec(
        "UPDATE users SET username = $2, display_name = $3, role = $4, password_hash = $5, "
        "updated_at = $6 WHERE id = $1",
        {user.id, user.username, user.display_name, std::string(auth::toString(user.role)),
         user.password_hash, user.updated_at_ms});
    if (!changed.ok()) {
      return changed.error();
    }
    if (*changed == 0) {
      return notFoundError("user", user.id);
    }
    return {};
  });
  if (!result.ok()) {
    return describe(result.error(), user);
  }
  return {};
}

Result<void> SqlUserRepository::remove(std::string_view id) {
  // Sessions go with the user (ON DELETE CASCADE); an agent acting as this user keeps existing
  // without a login (ON DELETE SET NULL).
  return database_.transact([&](SqlSession& session) -> Result<void> {
    auto changed = session.exec("DELETE FROM users WHERE id = $1", {std::string(id)});
    if (!changed.ok()) {
      return changed.error();
    }
    if (*changed == 0) {
      return notFoundError("user", id);
    }
    return {};
  });
}

}  // namespace kefu::store::internal
