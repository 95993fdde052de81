#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "auth/user.h"
#include "core/result.h"

namespace kefu::auth {

/** A logged-in user's bearer token. Only the token's hash is stored. */
struct Session {
  std::string token_hash;  // hex SHA-256 of the bearer token
  std::string user_id;
  std::int64_t created_at_ms = 0;
  std::int64_t expires_at_ms = 0;
};

/** Stored sessions. Deleting a user deletes its sessions. Blocks on storage; thread-safe. */
class SessionRepository {
 public:
  virtual ~SessionRepository() = default;
  virtual Result<void> create(const Session& session) = 0;
  /** @return the session with this token hash, or NotFound. */
  virtual Result<Session> get(std::string_view token_hash) = 0;
  /** Deletes one session; deleting an absent one is not an error. */
  virtual Result<void> remove(std::string_view token_hash) = 0;
  /** Deletes every session of a user (after a password or role change). */
  virtual Result<void> removeForUser(std::string_view user_id) = 0;
  /** Deletes sessions that expired at or before `now_ms`; @return how many. */
  virtual Result<std::int64_t> removeExpired(std::int64_t now_ms) = 0;
};

}  // namespace kefu::auth
