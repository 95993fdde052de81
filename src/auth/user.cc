#include "auth/user.h"

#include <algorithm>
#include <array>
#include <utility>

namespace kefu::auth {
namespace {
constexpr std::array<std::pair<Role, std::string_view>, 4> RoleNames{{
    {Role::Admin, "admin"},
    {Role::Supervisor, "supervisor"},
    {Role::Agent, "agent"},
    {Role::Auditor, "auditor"},
}};
}  // namespace

std::string_view toString(Role role) {
  for (auto [r, name] : RoleNames) {
    if (r == role) {
      return name;
    }
  }
  return "agent";
}

std::optional<Role> parseRole(std::string_view s) {
  for (auto [r, name] : RoleNames) {
    if (name == s) {
      return r;
    }
  }
  return std::nullopt;
}

Result<void> validate(const User& user) {
  const auto& u = user.username;
  auto allowed = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  };
  if (u.empty() || u.size() > 64 || !std::all_of(u.begin(), u.end(), allowed)) {
    return Error::invalid("username", "must be 1 to 64 of A-Z, a-z, 0-9, '.', '_', '-'");
  }
  if (user.display_name.size() > 100) {
    return Error::invalid("display_name", "must be at most 100 bytes");
  }
  return {};
}

}  // namespace kefu::auth
