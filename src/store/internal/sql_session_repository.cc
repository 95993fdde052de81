#include "store/internal/sql_session_repository.h"

#include "store/internal/repository_support.h"

namespace kefu::store::internal {

Result<void> SqlSessionRepository::create(const auth::Session& s) {
  Result<void> result = database_.transact([&](SqlSession& session) -> Result<void> {
    auto inserted = session.exec(
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) "
        "VALUES ($1, $2, $3, $4)",
        {s.token_hash, s.user_id, s.created_at_ms, s.expires_at_ms});
    if (!inserted.ok()) {
      return inserted.error();
    }
    return {};
  });
  if (result.ok()) {
    return {};
  }
  if (isForeignKeyViolation(result.error())) {
    return Error::invalid("user_id", "unknown user " + s.user_id);
  }
  if (isUniqueViolation(result.error())) {
    return Error{ErrorCode::AlreadyExists, "session already exists", "token_hash"};
  }
  return result.error();
}

Result<auth::Session> SqlSessionRepository::get(std::string_view token_hash) {
  std::optional<auth::Session> found;
  KEFU_TRY(database_.read([&](SqlSession& session) -> Result<void> {
    auto rows = session.query(
        "SELECT token_hash, user_id, created_at, expires_at FROM sessions WHERE token_hash = $1",
        {std::string(token_hash)});
    if (!rows.ok()) {
      return rows.error();
    }
    if (!rows->empty()) {
      const SqlRow& row = rows->front();
      found = auth::Session{row.text(0), row.text(1), row.int64(2), row.int64(3)};
    }
    return {};
  }));
  if (!found) {
    // The token (even hashed) is a secret: the message does not repeat it.
    return Error::notFound("session not found");
  }
  return std::move(*found);
}

Result<std::int64_t> SqlSessionRepository::execWrite(std::string_view sql, SqlValue param) {
  std::int64_t changed = 0;
  KEFU_TRY(database_.transact([&](SqlSession& session) -> Result<void> {
    auto result = session.exec(sql, {std::move(param)});
    if (!result.ok()) {
      return result.error();
    }
    changed = *result;
    return {};
  }));
  return changed;
}

Result<void> SqlSessionRepository::remove(std::string_view token_hash) {
  KEFU_TRY(execWrite("DELETE FROM sessions WHERE token_hash = $1", std::string(token_hash)));
  return {};
}

Result<void> SqlSessionRepository::removeForUser(std::string_view user_id) {
  KEFU_TRY(execWrite("DELETE FROM sessions WHERE user_id = $1", std::string(user_id)));
  return {};
}

Result<std::int64_t> SqlSessionRepository::removeExpired(std::int64_t now_ms) {
  return execWrite("DELETE FROM sessions WHERE expires_at <= $1", now_ms);
}

}  // namespace kefu::store::internal
