#pragma once

#include <chrono>
#include <cstdint>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "auth/session.h"
#include "auth/user.h"
#include "core/result.h"
#include "core/time_source.h"

namespace kefu::auth {

/** Who made a request, once their bearer token checked out. */
struct Principal {
  std::string user_id;
  std::string username;
  Role role = Role::Agent;
};

struct Login {
  std::string token;  // the bearer token; shown once, stored only as its hash
  std::int64_t expires_at_ms = 0;
  User user;
};

/**
 * Logs users in and checks bearer tokens. Sessions are stored (they survive a restart) and cached
 * in memory, so checking a token costs a hash and a map lookup. Thread-safe; the methods that
 * touch storage block, so they run on the blocking pool.
 */
class Authenticator {
 public:
  Authenticator(UserRepository& users, SessionRepository& sessions, const TimeSource& time,
                std::chrono::seconds token_ttl);

  /** @return a new session's token, or Unauthenticated (the same error for any wrong part). */
  Result<Login> login(std::string_view username, std::string_view password);
  /** @return who holds `token`, or Unauthenticated when it is unknown or expired. */
  Result<Principal> authenticate(std::string_view token);
  /** Ends the session of `token`. */
  Result<void> logout(std::string_view token);
  /**
   * Drops every session of a user whose password or role changed or who was deleted, so an old
   * token stops working at once.
   */
  Result<void> revokeUser(std::string_view user_id);
  /** Creates the `admin` user with `password`, or resets its password and role. */
  Result<void> ensureAdmin(std::string_view password);

 private:
  struct Cached {
    Principal principal;
    std::int64_t expires_at_ms;
  };

  // not owned, outlive this
  UserRepository& users_;
  SessionRepository& sessions_;
  const TimeSource& time_;
  // owned
  std::chrono::seconds token_ttl_;
  std::shared_mutex mutex_;
  std::unordered_map<std::string, Cached> cache_;  // by token hash
};

}  // namespace kefu::auth
