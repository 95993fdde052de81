#include "support/site_fixture.h"

#include <unistd.h>

#include <atomic>

#include "support/postgres_cluster.h"

namespace kefu::test {

std::string backendName(const testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::Sqlite ? "Sqlite" : "Postgres";
}

std::string freshStorageUrl(Backend backend) {
  static std::atomic<int> counter{0};
  auto n = std::to_string(::getpid()) + "_" + std::to_string(counter.fetch_add(1));
  if (backend == Backend::Postgres) {
    return sharedPostgres().createDatabase("kefu_api_" + n);
  }
  auto dir = std::filesystem::temp_directory_path() / ("kefu-test-" + n);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return "sqlite:" + (dir / "kefu.db").string();
}

void SiteFixture::SetUp() {
  config_.http.listen = {"127.0.0.1", 0};
  config_.storage.url = freshStorageUrl(GetParam());
  config_.auth.admin_password = AdminPassword;
  config_.log.level = server::LogLevel::Warn;
  config_.sip.enabled = false;  // suites about calls turn it on with a free port
  if (GetParam() == Backend::Postgres) {
    // Each site gets its own key file, as it gets its own database (SQLite keeps it beside the
    // file).
    static std::atomic<int> keys{0};
    auto dir = std::filesystem::temp_directory_path() /
               ("kefu-keys-" + std::to_string(::getpid()) + "_" + std::to_string(keys++));
    std::filesystem::create_directories(dir);
    config_.privacy.key_file = (dir / "kefu.keys").string();
  }
  configure(config_);
  auto site = server::Site::start(config_);
  ASSERT_TRUE(site.ok()) << site.error().message;
  site_ = std::move(site).value();
  admin_token_ = login("admin", AdminPassword);
}

void SiteFixture::TearDown() {
  if (site_) {
    site_->stop(std::chrono::seconds(5));
  }
  if (config_.storage.url.starts_with("sqlite:")) {
    std::filesystem::remove_all(std::filesystem::path(config_.storage.url.substr(7)).parent_path());
  }
  if (!config_.privacy.key_file.empty()) {
    std::filesystem::remove_all(std::filesystem::path(config_.privacy.key_file).parent_path());
  }
}

void SiteFixture::restart() {
  site_->stop(std::chrono::seconds(5));
  site_.reset();
  auto site = server::Site::start(config_);
  ASSERT_TRUE(site.ok()) << site.error().message;
  site_ = std::move(site).value();
}

HttpClient SiteFixture::client(bool as_admin) {
  HttpClient c(site_->httpPort());
  if (as_admin) {
    c.setToken(admin_token_);
  }
  return c;
}

std::string SiteFixture::login(const std::string& username, const std::string& password) {
  auto reply = client(false).post("/api/v1/auth/login",
                                  Json{{"username", username}, {"password", password}}.dump());
  EXPECT_EQ(reply.status, 200) << reply.body;
  auto json = Json::parse(reply.body, nullptr, false);
  return json.is_object() && json.contains("token") ? json["token"].get<std::string>() : "";
}

Json SiteFixture::body(const HttpReply& reply) {
  auto json = Json::parse(reply.body, nullptr, false);
  EXPECT_FALSE(json.is_discarded()) << "not JSON: " << reply.body;
  return json;
}

}  // namespace kefu::test
