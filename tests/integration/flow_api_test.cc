// The IVR's flow documents through /api/v1/flows on a real site: files of the flows directory are
// imported at start, a save is validated (every problem with its line) and becomes a new version,
// old versions stay readable, and an edit made through the API survives a restart even though
// the older file is still there.

#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "support/site_fixture.h"

namespace kefu::test {
namespace {

constexpr const char* Greeting = R"(version: 1
name: greeting
start: hello
nodes:
  hello:
    type: play
    prompt: "Hello"
    next: bye
  bye:
    type: hangup
)";

// The same flow with a dangling reference on line 8.
constexpr const char* Dangling = R"(version: 1
name: greeting
start: hello
nodes:
  hello:
    type: play
    prompt: "Hello again"
    next: goodbye
  bye:
    type: hangup
)";

class FlowApiTest : public SiteFixture {
 protected:
  void configure(server::Config& config) override {
    flows_dir_ = std::filesystem::temp_directory_path() /
                 ("kefu-flows-" + std::to_string(::getpid()) + "-" +
                  testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(flows_dir_);
    std::ofstream(flows_dir_ / "greeting.yaml") << Greeting;
    std::ofstream(flows_dir_ / "broken.yaml") << "version: 1\nstart: nowhere\nnodes: {}\n";
    config.ivr.flows_dir = flows_dir_.string();
    // The flows belong to the site's calls: SIP on, on any free port.
    config.sip.enabled = true;
    config.sip.listen = {"127.0.0.1", 0};
  }

  void TearDown() override {
    SiteFixture::TearDown();
    std::filesystem::remove_all(flows_dir_);
  }

  HttpReply putYaml(const std::string& id, const std::string& yaml) {
    return client().request("PUT", "/api/v1/flows/" + id, yaml, "application/yaml");
  }

  std::filesystem::path flows_dir_;
};

TEST_P(FlowApiTest, FilesAreImportedAtStartAndInvalidOnesLeftOut) {
  auto reply = client().get("/api/v1/flows");
  ASSERT_EQ(reply.status, 200) << reply.body;
  Json list = body(reply);
  ASSERT_EQ(list["count"], 1) << reply.body;
  EXPECT_EQ(list["items"][0]["id"], "greeting");
  EXPECT_EQ(list["items"][0]["version"], 1);
  EXPECT_EQ(list["items"][0]["saved_by"], "file:greeting.yaml");

  auto raw = client().get("/api/v1/flows/greeting?version=1&format=yaml");
  ASSERT_EQ(raw.status, 200);
  EXPECT_EQ(raw.body, Greeting);
  EXPECT_EQ(client().get("/api/v1/flows/broken").status, 404);
}

TEST_P(FlowApiTest, ASaveIsCheckedWithLinesAndBecomesTheNextVersion) {
  auto bad = putYaml("greeting", Dangling);
  ASSERT_EQ(bad.status, 400) << bad.body;
  Json error = body(bad)["error"];
  EXPECT_EQ(error["field"], "document");
  ASSERT_FALSE(error["problems"].empty());
  EXPECT_EQ(error["problems"][0]["line"], 8) << bad.body;
  EXPECT_NE(error["problems"][0]["message"].get<std::string>().find("goodbye"), std::string::npos);
  EXPECT_EQ(body(client().get("/api/v1/flows/greeting"))["version"], 1);  // nothing saved

  auto check = client().post("/api/v1/flows/greeting/check",
                             Json{{"document", std::string(Dangling)}}.dump());
  ASSERT_EQ(check.status, 200) << check.body;
  EXPECT_EQ(body(check)["valid"], false);

  // The name inside must be the flow's id.
  auto renamed = putYaml("other", Greeting);
  ASSERT_EQ(renamed.status, 400) << renamed.body;
  EXPECT_EQ(body(renamed)["error"]["problems"][0]["line"], 2);

  std::string fixed(Dangling);
  fixed.replace(fixed.find("next: goodbye"), 13, "next: bye");
  auto saved = client().put("/api/v1/flows/greeting", Json{{"document", fixed}}.dump());
  ASSERT_EQ(saved.status, 200) << saved.body;
  EXPECT_EQ(body(saved)["version"], 2);
  EXPECT_EQ(body(saved)["saved_by"], "admin");

  auto versions = client().get("/api/v1/flows/greeting/versions");
  ASSERT_EQ(versions.status, 200);
  EXPECT_EQ(body(versions)["count"], 2);
  EXPECT_EQ(body(client().get("/api/v1/flows/greeting?version=1"))["document"], Greeting);
  EXPECT_EQ(body(client().get("/api/v1/flows/greeting"))["document"], fixed);
  EXPECT_EQ(client().get("/api/v1/flows/greeting?version=x").status, 400);
  EXPECT_EQ(client().get("/api/v1/flows/greeting?version=9").status, 404);

  // A new flow is created by its first save.
  std::string loans(Greeting);
  loans.replace(loans.find("name: greeting"), 14, "name: loans");
  auto created = putYaml("loans", loans);
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(body(created)["version"], 1);
}

TEST_P(FlowApiTest, AnApiEditSurvivesARestartAndADeletionToo) {
  std::string edited(Greeting);
  edited.replace(edited.find("\"Hello\""), 7, "\"Hello, edited\"");
  ASSERT_EQ(putYaml("greeting", edited).status, 200);
  restart();
  // The file is older than the edit: the edit stays current.
  auto current = client().get("/api/v1/flows/greeting");
  ASSERT_EQ(current.status, 200) << current.body;
  EXPECT_EQ(body(current)["version"], 2);
  EXPECT_EQ(body(current)["document"], edited);

  ASSERT_EQ(client().del("/api/v1/flows/greeting").status, 204);
  EXPECT_EQ(client().del("/api/v1/flows/greeting").status, 404);
  restart();
  EXPECT_EQ(client().get("/api/v1/flows/greeting").status, 404);
  EXPECT_EQ(body(client().get("/api/v1/flows"))["count"], 0);
}

TEST_P(FlowApiTest, AnEditedOrNewFileIsTakenWithoutARestart) {
  std::string edited(Greeting);
  edited.replace(edited.find("\"Hello\""), 7, "\"Hello from the file\"");
  std::ofstream(flows_dir_ / "greeting.yaml") << edited;
  std::string loans(Greeting);
  loans.replace(loans.find("name: greeting"), 14, "name: loans");
  std::ofstream(flows_dir_ / "loans.yaml") << loans;

  // The directory is looked at every 2 s.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  Json current;
  while (std::chrono::steady_clock::now() < deadline) {
    current = body(client().get("/api/v1/flows/greeting"));
    if (current["version"] == 2 && client().get("/api/v1/flows/loans").status == 200) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(current["version"], 2) << current.dump();
  EXPECT_EQ(current["document"], edited);
  EXPECT_EQ(current["saved_by"], "file:greeting.yaml");
  EXPECT_EQ(body(client().get("/api/v1/flows/loans"))["version"], 1);
}

TEST_P(FlowApiTest, OnlyAdminsChangeFlowsAndAgentsCannotReadThem) {
  auto agent = client().post(
      "/api/v1/users",
      Json{{"username", "ann"}, {"password", "ann-password-1"}, {"role", "agent"}}.dump());
  ASSERT_EQ(agent.status, 201) << agent.body;
  HttpClient as_agent = client(false);
  as_agent.setToken(login("ann", "ann-password-1"));
  EXPECT_EQ(as_agent.get("/api/v1/flows").status, 403);
  EXPECT_EQ(as_agent.request("PUT", "/api/v1/flows/greeting", Greeting, "application/yaml").status,
            403);
}

INSTANTIATE_TEST_SUITE_P(Backends, FlowApiTest, testing::Values(Backend::Sqlite, Backend::Postgres),
                         backendName);

}  // namespace
}  // namespace kefu::test
