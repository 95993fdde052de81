#include "auth/authenticator.h"

#include <mutex>

#include "auth/password.h"
#include "core/id.h"

namespace kefu::auth {
namespace {

Error badCredentials() { return {ErrorCode::Unauthenticated, "wrong username or password", {}}; }

constexpr std::size_t MaxCachedSessions = 100000;

}  // namespace

Authenticator::Authenticator(UserRepository& users, SessionRepository& sessions,
                             const TimeSource& time, std::chrono::seconds token_ttl)
    : users_(users), sessions_(sessions), time_(time), token_ttl_(token_ttl) {}

Result<Login> Authenticator::login(std::string_view username, std::string_view password) {
  auto user = users_.getByUsername(username);
  if (!user) {
    if (user.error().code != ErrorCode::NotFound) {
      return user.error();
    }
    // Spend the same time as for a known user, so timing does not tell which usernames exist.
    static const auto decoy = hashPassword("decoy-password");
    if (decoy) {
      (void)verifyPassword(*decoy, password);
    }
    return badCredentials();
  }
  if (!verifyPassword(user->password_hash, password)) {
    return badCredentials();
  }
  auto now = toUnixMillis(time_.systemTime());
  Login login{randomHex(32),
              now + std::chrono::duration_cast<std::chrono::milliseconds>(token_ttl_).count(),
              std::move(user).value()};
  Session session{tokenHash(login.token), login.user.id, now, login.expires_at_ms};
  KEFU_TRY(sessions_.create(session));
  std::unique_lock lock(mutex_);
  if (cache_.size() >= MaxCachedSessions) {
    cache_.clear();  // sessions stay stored; the cache refills on demand
  }
  cache_[session.token_hash] = {{login.user.id, login.user.username, login.user.role},
                                login.expires_at_ms};
  return login;
}

Result<Principal> Authenticator::authenticate(std::string_view token) {
  Error unauthenticated{ErrorCode::Unauthenticated, "invalid or expired token", {}};
  if (token.empty() || token.size() > 256) {
    return unauthenticated;
  }
  auto hash = tokenHash(token);
  auto now = toUnixMillis(time_.systemTime());
  {
    std::shared_lock lock(mutex_);
    if (auto it = cache_.find(hash); it != cache_.end()) {
      if (it->second.expires_at_ms <= now) {
        return unauthenticated;
      }
      return it->second.principal;
    }
  }
  auto session = sessions_.get(hash);
  if (!session) {
    return session.error().code == ErrorCode::NotFound ? unauthenticated : session.error();
  }
  if (session->expires_at_ms <= now) {
    return unauthenticated;
  }
  auto user = users_.get(session->user_id);
  if (!user) {
    return user.error().code == ErrorCode::NotFound ? unauthenticated : user.error();
  }
  Principal principal{user->id, user->username, user->role};
  std::unique_lock lock(mutex_);
  if (cache_.size() >= MaxCachedSessions) {
    cache_.clear();
  }
  cache_[hash] = {principal, session->expires_at_ms};
  return principal;
}

Result<void> Authenticator::logout(std::string_view token) {
  auto hash = tokenHash(token);
  KEFU_TRY(sessions_.remove(hash));
  std::unique_lock lock(mutex_);
  cache_.erase(hash);
  return {};
}

Result<void> Authenticator::revokeUser(std::string_view user_id) {
  KEFU_TRY(sessions_.removeForUser(user_id));
  std::unique_lock lock(mutex_);
  std::erase_if(cache_,
                [&](const auto& entry) { return entry.second.principal.user_id == user_id; });
  return {};
}

Result<void> Authenticator::ensureAdmin(std::string_view password) {
  KEFU_TRY(checkPasswordRules(password, "auth.admin_password"));
  auto existing = users_.getByUsername("admin");
  if (existing && existing->role == Role::Admin &&
      verifyPassword(existing->password_hash, password)) {
    return {};  // unchanged: keep its sessions across restarts
  }
  auto hash = hashPassword(password);
  if (!hash) {
    return hash.error();
  }
  auto now = toUnixMillis(time_.systemTime());
  if (existing) {
    User admin = std::move(existing).value();
    admin.password_hash = *hash;
    admin.role = Role::Admin;
    admin.updated_at_ms = now;
    KEFU_TRY(users_.update(admin));
    return revokeUser(admin.id);
  }
  if (existing.error().code != ErrorCode::NotFound) {
    return existing.error();
  }
  User admin{newId("usr", time_), "admin", "Administrator", Role::Admin, *hash, now, now};
  return users_.create(admin);
}

}  // namespace kefu::auth
