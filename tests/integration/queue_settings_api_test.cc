// Every routing setting of a queue through /api/v1/queues: written, shown, validated field by
// field, and routed with, at once after an update and after a restart. Agents' chat capacity too.

#include <gtest/gtest.h>

#include "support/site_fixture.h"

namespace kefu::test {
namespace {

class QueueSettingsApiTest : public SiteFixture {
 protected:
  void SetUp() override {
    SiteFixture::SetUp();
    auto c = client();
    auto skill = c.post("/api/v1/skills", R"({"name":"billing"})");
    ASSERT_EQ(skill.status, 201) << skill.body;
    skill_id_ = body(skill)["id"].get<std::string>();
    auto backup = c.post("/api/v1/queues", R"({"name":"backup"})");
    ASSERT_EQ(backup.status, 201) << backup.body;
    backup_id_ = body(backup)["id"].get<std::string>();
  }

  /** A queue that needs billing 8, relaxed to level 3 after 30 s, with every setting given. */
  Json salesJson() const {
    return Json{{"name", "sales"},
                {"strategy", "skills_best_match"},
                {"required_skills", Json::array({{{"skill_id", skill_id_}, {"min_level", 8}}})},
                {"relaxation", Json::array({{{"after_ms", 30000}, {"min_level", 3}}})},
                {"max_size", 50},
                {"overflow", Json::array({{{"after_wait_ms", 60000}, {"target", backup_id_}},
                                          {{"above_size", 40}, {"target", "cloud"}}})},
                {"wrap_up_ms", 15000},
                {"alert_timeout_ms", 12000},
                {"sticky_window_ms", 45000},
                {"callback_timeout_ms", 90000},
                {"short_abandon_ms", 8000},
                {"callback_enabled", false}};
  }

  /** An agent whose billing level (5) meets the relaxed level but not the first one. */
  std::string createAgent() {
    auto agent = client().post(
        "/api/v1/agents", Json{{"name", "Li Wei"},
                               {"extension", "1001"},
                               {"sip_password", "secret-1001"},
                               {"chat_capacity", 5},
                               {"skills", Json::array({{{"skill_id", skill_id_}, {"level", 5}}})}}
                              .dump());
    EXPECT_EQ(agent.status, 201) << agent.body;
    return "/api/v1/agents/" + body(agent)["id"].get<std::string>();
  }

  /** @return how many logged-in agents qualify for the queue at any stage of its relaxation. */
  int staffed(const std::string& queue_path) {
    auto reply = client().get(queue_path + "/live");
    EXPECT_EQ(reply.status, 200) << reply.body;
    return body(reply)["agents_staffed"].get<int>();
  }

  static void expectSalesSettings(const Json& q, const std::string& backup_id) {
    EXPECT_EQ(q["relaxation"], Json::parse(R"([{"after_ms":30000,"min_level":3}])"));
    EXPECT_EQ(q["max_size"], 50);
    ASSERT_EQ(q["overflow"].size(), 2u);
    EXPECT_EQ(q["overflow"][0]["after_wait_ms"], 60000);
    EXPECT_EQ(q["overflow"][0]["above_size"], 0);
    EXPECT_EQ(q["overflow"][0]["target"], backup_id);
    EXPECT_EQ(q["overflow"][1]["above_size"], 40);
    EXPECT_EQ(q["overflow"][1]["target"], "cloud");
    EXPECT_EQ(q["wrap_up_ms"], 15000);
    EXPECT_EQ(q["alert_timeout_ms"], 12000);
    EXPECT_EQ(q["sticky_window_ms"], 45000);
    EXPECT_EQ(q["callback_timeout_ms"], 90000);
    EXPECT_EQ(q["short_abandon_ms"], 8000);
    EXPECT_EQ(q["callback_enabled"], false);
  }

  std::string skill_id_, backup_id_;
};

TEST_P(QueueSettingsApiTest, SettingsAreStoredShownAndDefaulted) {
  auto c = client();
  auto created = c.post("/api/v1/queues", salesJson().dump());
  ASSERT_EQ(created.status, 201) << created.body;
  expectSalesSettings(body(created), backup_id_);
  const std::string path = "/api/v1/queues/" + body(created)["id"].get<std::string>();
  expectSalesSettings(body(c.get(path)), backup_id_);

  bool listed = false;
  const Json queues = body(c.get("/api/v1/queues"));
  for (const auto& q : queues["items"]) {
    if (q["name"] == "sales") {
      expectSalesSettings(q, backup_id_);
      listed = true;
    }
  }
  EXPECT_TRUE(listed);

  // A queue given no settings shows the defaults routing uses.
  auto plain = body(c.get("/api/v1/queues/" + backup_id_));
  EXPECT_EQ(plain["relaxation"], Json::array());
  EXPECT_EQ(plain["overflow"], Json::array());
  EXPECT_EQ(plain["max_size"], 0);
  EXPECT_EQ(plain["wrap_up_ms"], 0);
  EXPECT_EQ(plain["alert_timeout_ms"], 20000);
  EXPECT_EQ(plain["sticky_window_ms"], 0);
  EXPECT_EQ(plain["callback_timeout_ms"], 60000);
  EXPECT_EQ(plain["short_abandon_ms"], 5000);
  EXPECT_EQ(plain["callback_enabled"], true);

  // What a client read, it can write back unchanged.
  auto round_trip = c.put(path, body(c.get(path)).dump());
  ASSERT_EQ(round_trip.status, 200) << round_trip.body;
  expectSalesSettings(body(round_trip), backup_id_);
}

TEST_P(QueueSettingsApiTest, BadSettingsAre400NamingTheField) {
  auto c = client();
  struct Case {
    std::string what;
    Json change;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"steps out of order",
       {{"relaxation", Json::parse(R"([{"after_ms":30000,"min_level":3},
                                       {"after_ms":20000,"min_level":2}])")}},
       "relaxation[1].after_ms"},
      {"a level above 10",
       {{"relaxation", Json::parse(R"([{"after_ms":1,"min_level":11}])")}},
       "relaxation[0].min_level"},
      {"a step without its time",
       {{"relaxation", Json::parse(R"([{"min_level":2}])")}},
       "relaxation[0].after_ms"},
      {"an unknown field in a step",
       {{"relaxation", Json::parse(R"([{"after_ms":1,"min_level":2,"after":3}])")}},
       "relaxation[0].after"},
      {"a zero alert timeout", {{"alert_timeout_ms", 0}}, "alert_timeout_ms"},
      {"a negative wrap-up", {{"wrap_up_ms", -1}}, "wrap_up_ms"},
      {"more than a day", {{"sticky_window_ms", 86'400'001}}, "sticky_window_ms"},
      {"a negative size", {{"max_size", -1}}, "max_size"},
      {"a boolean as text", {{"callback_enabled", "yes"}}, "callback_enabled"},
      {"a rule of both kinds",
       {{"overflow", Json::parse(R"([{"after_wait_ms":1000,"above_size":3,"target":"cloud"}])")}},
       "overflow[0]"},
      {"a rule without a target",
       {{"overflow", Json::parse(R"([{"above_size":3}])")}},
       "overflow[0].target"},
      {"an unknown queue as target",
       {{"overflow", Json::parse(R"([{"above_size":3,"target":"q_01NOSUCHQUEUE"}])")}},
       "overflow[0].target"},
  };
  for (const auto& test_case : cases) {
    Json queue = salesJson();
    queue.update(test_case.change);
    auto reply = c.post("/api/v1/queues", queue.dump());
    EXPECT_EQ(reply.status, 400) << test_case.what << ": " << reply.body;
    EXPECT_EQ(body(reply)["error"]["field"], test_case.field) << test_case.what;
  }
  // None of them was stored.
  EXPECT_EQ(body(c.get("/api/v1/queues"))["items"].size(), 1u);

  auto agent = c.post("/api/v1/agents", R"({"name":"Li","extension":"1001",
                                            "sip_password":"secret-1001","chat_capacity":-1})");
  EXPECT_EQ(agent.status, 400) << agent.body;
  EXPECT_EQ(body(agent)["error"]["field"], "chat_capacity");
}

TEST_P(QueueSettingsApiTest, AQueueThatIsAnOverflowTargetCannotBeDeleted) {
  auto c = client();
  auto sales = c.post("/api/v1/queues", salesJson().dump());
  ASSERT_EQ(sales.status, 201) << sales.body;
  const std::string sales_path = "/api/v1/queues/" + body(sales)["id"].get<std::string>();

  auto refused = c.del("/api/v1/queues/" + backup_id_);
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_EQ(c.get("/api/v1/queues/" + backup_id_).status, 200);
  // It is still in routing too: its live state is there.
  EXPECT_EQ(c.get("/api/v1/queues/" + backup_id_ + "/live").status, 200);

  Json cloud_only = salesJson();
  cloud_only["overflow"] = Json::parse(R"([{"after_wait_ms":60000,"target":"cloud"}])");
  ASSERT_EQ(c.put(sales_path, cloud_only.dump()).status, 200);
  EXPECT_EQ(c.del("/api/v1/queues/" + backup_id_).status, 204);
}

TEST_P(QueueSettingsApiTest, RoutingUsesTheStoredSettingsAtOnceAndAfterARestart) {
  auto c = client();
  const std::string agent_path = createAgent();
  EXPECT_EQ(body(c.get(agent_path))["chat_capacity"], 5);
  auto created = c.post("/api/v1/queues", salesJson().dump());
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string path = "/api/v1/queues/" + body(created)["id"].get<std::string>();
  ASSERT_EQ(c.post(agent_path + "/login", "").status, 200);
  // Level 5 qualifies only through the relaxation step, so staffing shows the step is routed.
  EXPECT_EQ(staffed(path), 1);

  // An update without the step takes it out of routing at once, and one with it puts it back.
  Json strict = salesJson();
  strict["relaxation"] = Json::array();
  ASSERT_EQ(c.put(path, strict.dump()).status, 200);
  EXPECT_EQ(staffed(path), 0);
  ASSERT_EQ(c.put(path, salesJson().dump()).status, 200);
  EXPECT_EQ(staffed(path), 1);

  // After a restart the site loads the queue with its settings from storage.
  restart();
  ASSERT_EQ(client().post(agent_path + "/login", "").status, 200);
  EXPECT_EQ(staffed(path), 1);
  expectSalesSettings(body(client().get(path)), backup_id_);
  EXPECT_EQ(body(client().get(agent_path))["chat_capacity"], 5);
}

INSTANTIATE_TEST_SUITE_P(Backends, QueueSettingsApiTest,
                         testing::Values(Backend::Sqlite, Backend::Postgres), backendName);

}  // namespace
}  // namespace kefu::test
