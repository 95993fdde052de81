#include "auth/authenticator.h"

#include <gtest/gtest.h>

#include <map>

#include "auth/password.h"

namespace kefu::auth {
namespace {

using namespace std::chrono_literals;

class FakeUserRepository final : public UserRepository {
 public:
  Result<void> create(const User& u) override {
    users_[u.id] = u;
    return {};
  }
  Result<User> get(std::string_view id) override {
    auto it = users_.find(std::string(id));
    if (it == users_.end()) {
      return Error::notFound("no user");
    }
    return it->second;
  }
  Result<std::vector<User>> list() override {
    std::vector<User> out;
    for (auto& [id, u] : users_) {
      out.push_back(u);
    }
    return out;
  }
  Result<void> update(const User& u) override { return create(u); }
  Result<void> remove(std::string_view id) override {
    users_.erase(std::string(id));
    return {};
  }
  Result<User> getByUsername(std::string_view name) override {
    for (auto& [id, u] : users_) {
      if (u.username == name) {
        return u;
      }
    }
    return Error::notFound("no user");
  }

 private:
  std::map<std::string, User> users_;
};

class FakeSessionRepository final : public SessionRepository {
 public:
  Result<void> create(const Session& s) override {
    sessions[s.token_hash] = s;
    return {};
  }
  Result<Session> get(std::string_view hash) override {
    auto it = sessions.find(std::string(hash));
    if (it == sessions.end()) {
      return Error::notFound("no session");
    }
    return it->second;
  }
  Result<void> remove(std::string_view hash) override {
    sessions.erase(std::string(hash));
    return {};
  }
  Result<void> removeForUser(std::string_view user_id) override {
    std::erase_if(sessions, [&](auto& e) { return e.second.user_id == user_id; });
    return {};
  }
  Result<std::int64_t> removeExpired(std::int64_t now) override {
    return static_cast<std::int64_t>(
        std::erase_if(sessions, [&](auto& e) { return e.second.expires_at_ms <= now; }));
  }
  std::map<std::string, Session> sessions;
};

class AuthenticatorTest : public testing::Test {
 protected:
  SimulatedTime time_;
  FakeUserRepository users_;
  FakeSessionRepository sessions_;
  Authenticator auth_{users_, sessions_, time_, 1h};
};

TEST_F(AuthenticatorTest, TokensWorkUntilTheyExpire) {
  ASSERT_TRUE(auth_.ensureAdmin("admin-password").ok());
  auto login = auth_.login("admin", "admin-password");
  ASSERT_TRUE(login.ok());
  EXPECT_EQ(sessions_.sessions.count(tokenHash(login->token)), 1u);  // stored as a hash only
  EXPECT_EQ(auth_.authenticate(login->token)->role, Role::Admin);
  time_.advance(59min);
  EXPECT_TRUE(auth_.authenticate(login->token).ok());
  time_.advance(2min);
  EXPECT_EQ(auth_.authenticate(login->token).error().code, ErrorCode::Unauthenticated);
}

TEST_F(AuthenticatorTest, WrongPasswordAndUnknownUserLookAlike) {
  ASSERT_TRUE(auth_.ensureAdmin("admin-password").ok());
  auto wrong = auth_.login("admin", "other-password");
  auto unknown = auth_.login("nobody", "admin-password");
  ASSERT_FALSE(wrong.ok());
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(wrong.error().message, unknown.error().message);
}

TEST_F(AuthenticatorTest, RevokingAUserEndsItsCachedSessions) {
  ASSERT_TRUE(auth_.ensureAdmin("admin-password").ok());
  auto login = auth_.login("admin", "admin-password");
  ASSERT_TRUE(auth_.authenticate(login->token).ok());
  ASSERT_TRUE(auth_.revokeUser(login->user.id).ok());
  EXPECT_FALSE(auth_.authenticate(login->token).ok());
}

TEST_F(AuthenticatorTest, EnsureAdminResetsAChangedPasswordAndKeepsAnUnchangedOne) {
  ASSERT_TRUE(auth_.ensureAdmin("admin-password").ok());
  auto login = auth_.login("admin", "admin-password");
  ASSERT_TRUE(auth_.ensureAdmin("admin-password").ok());
  EXPECT_TRUE(auth_.authenticate(login->token).ok());  // a restart with the same password
  ASSERT_TRUE(auth_.ensureAdmin("new-admin-password").ok());
  EXPECT_FALSE(auth_.authenticate(login->token).ok());
  EXPECT_FALSE(auth_.login("admin", "admin-password").ok());
  EXPECT_TRUE(auth_.login("admin", "new-admin-password").ok());
  EXPECT_EQ(auth_.ensureAdmin("short").error().field, "auth.admin_password");
}

}  // namespace
}  // namespace kefu::auth
