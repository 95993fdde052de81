#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/repository.h"
#include "core/result.h"

namespace kefu::auth {

/** What a user may do. Ordered by nothing: each route names the roles it admits. */
enum class Role { Admin, Supervisor, Agent, Auditor };

std::string_view toString(Role role);
std::optional<Role> parseRole(std::string_view s);

/** A person who logs in to Kefu's API and web UI. */
struct User {
  std::string id;
  std::string username;  // unique; 1–64 of [A-Za-z0-9._-]
  std::string display_name;
  Role role = Role::Agent;
  std::string password_hash;  // libsodium crypto_pwhash_str (Argon2id); never shown
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
};

/** @return InvalidArgument naming the field when `user` breaks a rule. */
Result<void> validate(const User& user);

/** Users by id; also by username, for login. */
class UserRepository : public Repository<User> {
 public:
  /** @return the user with this username, or NotFound. Blocks on storage. */
  virtual Result<User> getByUsername(std::string_view username) = 0;
};

}  // namespace kefu::auth
