#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "server/config.h"
#include "server/site.h"
#include "support/http_client.h"

namespace kefu::test {

using Json = nlohmann::json;

/** The storage backends every API test runs against. */
enum class Backend { Sqlite, Postgres };
std::string backendName(const testing::TestParamInfo<Backend>& info);
inline void PrintTo(Backend backend, std::ostream* out) {
  *out << (backend == Backend::Sqlite ? "sqlite" : "postgresql");
}

/** @return a fresh, empty database URL for `backend` (a temp SQLite file or a new PostgreSQL
 * database). */
std::string freshStorageUrl(Backend backend);

inline constexpr const char* AdminPassword = "admin-password-1";

/** A whole site in-process on a free port, with an admin user, restartable on the same storage. */
class SiteFixture : public testing::TestWithParam<Backend> {
 protected:
  void SetUp() override;
  /** Lets a suite change the configuration before the site starts. */
  virtual void configure(server::Config&) {}
  void TearDown() override;

  /** Stops the site and starts a new one on the same storage. */
  void restart();
  /** @return a client (with the admin's token when `as_admin`). */
  HttpClient client(bool as_admin = true);
  /** Logs in; @return the token (fails the test when login fails). */
  std::string login(const std::string& username, const std::string& password);
  /** @return the parsed body, failing the test when it is not JSON. */
  static Json body(const HttpReply& reply);

  server::Config config_;
  std::unique_ptr<server::Site> site_;
  std::string admin_token_;
};

}  // namespace kefu::test
