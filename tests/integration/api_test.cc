// The REST API of a whole site, in-process, against SQLite and PostgreSQL.

#include <gtest/gtest.h>

#include "support/site_fixture.h"

namespace kefu::test {
namespace {

class ApiTest : public SiteFixture {
 protected:
  std::string createSkill(HttpClient& c, const std::string& name) {
    auto reply = c.post("/api/v1/skills", Json{{"name", name}, {"description", "d"}}.dump());
    EXPECT_EQ(reply.status, 201) << reply.body;
    return body(reply).value("id", "");
  }
  Json agentJson(const std::string& extension, const std::string& skill_id, int level = 5) {
    return {{"name", "Agent " + extension},
            {"extension", extension},
            {"sip_password", "secret-" + extension},
            {"skills", Json::array({{{"skill_id", skill_id}, {"level", level}}})}};
  }
  std::size_t count(HttpClient& c, const std::string& path) {
    auto reply = c.get(path);
    EXPECT_EQ(reply.status, 200);
    return body(reply)["items"].size();
  }
};

TEST_P(ApiTest, HealthzAnswersWithoutToken) {
  auto reply = client(false).get("/healthz");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(body(reply)["status"], "ok");
}

TEST_P(ApiTest, LoginChecksPasswordAndTokensGuardRoutes) {
  auto anonymous = client(false);
  auto wrong =
      anonymous.post("/api/v1/auth/login", R"({"username":"admin","password":"nope-nope"})");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(body(wrong)["error"]["code"], "unauthenticated");
  auto unknown =
      anonymous.post("/api/v1/auth/login", R"({"username":"ghost","password":"nope-nope"})");
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(body(unknown)["error"]["message"], body(wrong)["error"]["message"]);

  EXPECT_EQ(anonymous.get("/api/v1/agents").status, 401);
  anonymous.setToken("not-a-token");
  EXPECT_EQ(anonymous.get("/api/v1/agents").status, 401);

  auto admin = client();
  auto me = admin.get("/api/v1/auth/me");
  EXPECT_EQ(me.status, 200);
  EXPECT_EQ(body(me)["role"], "admin");
  EXPECT_FALSE(body(me).contains("password_hash"));
}

TEST_P(ApiTest, RolesLimitWhatAUserMayDo) {
  auto admin = client();
  auto created = admin.post("/api/v1/users", Json{{"username", "li.wei"},
                                                  {"display_name", "Li Wei"},
                                                  {"role", "agent"},
                                                  {"password", "agent-pass-1"}}
                                                 .dump());
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_FALSE(body(created).contains("password"));

  HttpClient agent(site_->httpPort());
  agent.setToken(login("li.wei", "agent-pass-1"));
  EXPECT_EQ(agent.get("/api/v1/skills").status, 200);
  auto denied = agent.post("/api/v1/skills", R"({"name":"billing"})");
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(body(denied)["error"]["code"], "permission_denied");
  EXPECT_EQ(agent.get("/api/v1/users").status, 403);
  EXPECT_EQ(count(admin, "/api/v1/skills"), 0u);

  // Changing the role revokes the old token at once.
  auto id = body(created)["id"].get<std::string>();
  auto promoted =
      admin.put("/api/v1/users/" + id, Json{{"username", "li.wei"}, {"role", "supervisor"}}.dump());
  EXPECT_EQ(promoted.status, 200) << promoted.body;
  EXPECT_EQ(agent.get("/api/v1/skills").status, 401);
  agent.setToken(login("li.wei", "agent-pass-1"));
  EXPECT_EQ(agent.post("/api/v1/skills", R"({"name":"billing"})").status, 201);

  auto logout = agent.post("/api/v1/auth/logout", "");
  EXPECT_EQ(logout.status, 204);
  EXPECT_EQ(agent.get("/api/v1/skills").status, 401);
}

TEST_P(ApiTest, SkillsAgentsAndQueuesHaveCrud) {
  auto c = client();
  auto billing = createSkill(c, "billing");
  auto cards = createSkill(c, "cards");

  auto created = c.post("/api/v1/agents", agentJson("1001", billing).dump());
  ASSERT_EQ(created.status, 201) << created.body;
  auto agent = body(created);
  EXPECT_EQ(agent["extension"], "1001");
  EXPECT_FALSE(agent.contains("sip_password"));
  EXPECT_EQ(created.headers["location"], "/api/v1/agents/" + agent["id"].get<std::string>());
  auto path = "/api/v1/agents/" + agent["id"].get<std::string>();

  auto update = agentJson("1002", cards, 9);
  update.erase("sip_password");  // optional on update: the stored one is kept
  auto updated = c.put(path, update.dump());
  ASSERT_EQ(updated.status, 200) << updated.body;
  auto fetched = body(c.get(path));
  EXPECT_EQ(fetched["extension"], "1002");
  EXPECT_EQ(fetched["skills"], Json::parse(R"([{"skill_id":")" + cards + R"(","level":9}])"));
  EXPECT_EQ(fetched["created_at"], agent["created_at"]);

  auto queue = c.post("/api/v1/queues",
                      Json{{"name", "general"},
                           {"strategy", "skills_best_match"},
                           {"service_level_seconds", 15},
                           {"required_skills", {{{"skill_id", billing}, {"min_level", 3}}}}}
                          .dump());
  ASSERT_EQ(queue.status, 201) << queue.body;
  EXPECT_EQ(body(queue)["strategy"], "skills_best_match");
  auto queue_path = "/api/v1/queues/" + body(queue)["id"].get<std::string>();

  // A skill still required or held cannot be deleted.
  auto in_use = c.del("/api/v1/skills/" + billing);
  EXPECT_EQ(in_use.status, 409) << in_use.body;
  EXPECT_EQ(c.del(queue_path).status, 204);
  EXPECT_EQ(c.get(queue_path).status, 404);
  EXPECT_EQ(c.del("/api/v1/skills/" + billing).status, 204);

  EXPECT_EQ(c.del(path).status, 204);
  auto gone = c.get(path);
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(body(gone)["error"]["code"], "not_found");
}

TEST_P(ApiTest, ConflictsAndBadReferencesChangeNothing) {
  auto c = client();
  auto billing = createSkill(c, "billing");
  EXPECT_EQ(c.post("/api/v1/skills", R"({"name":"billing"})").status, 409);
  ASSERT_EQ(c.post("/api/v1/agents", agentJson("1001", billing).dump()).status, 201);

  auto taken = c.post("/api/v1/agents", agentJson("1001", billing).dump());
  EXPECT_EQ(taken.status, 409);
  EXPECT_EQ(body(taken)["error"]["field"], "extension");

  auto unknown_skill = c.post("/api/v1/agents", agentJson("1002", "sk_missing").dump());
  EXPECT_EQ(unknown_skill.status, 400) << unknown_skill.body;
  EXPECT_EQ(body(unknown_skill)["error"]["field"], "skills");

  auto bad_level = c.post("/api/v1/agents", agentJson("1003", billing, 11).dump());
  EXPECT_EQ(bad_level.status, 400);
  EXPECT_EQ(body(bad_level)["error"]["field"], "skills[0].level");

  EXPECT_EQ(count(c, "/api/v1/agents"), 1u);
}

TEST_P(ApiTest, DirectoryAndSessionsSurviveARestart) {
  auto c = client();
  auto billing = createSkill(c, "billing");
  ASSERT_EQ(c.post("/api/v1/agents", agentJson("1001", billing, 7).dump()).status, 201);
  ASSERT_EQ(c.post("/api/v1/queues", R"({"name":"general"})").status, 201);
  auto before = body(c.get("/api/v1/agents"));

  restart();

  auto again = client();  // the same token: sessions are stored
  auto after = again.get("/api/v1/agents");
  ASSERT_EQ(after.status, 200);
  EXPECT_EQ(body(after), before);
  EXPECT_EQ(count(again, "/api/v1/skills"), 1u);
  EXPECT_EQ(count(again, "/api/v1/queues"), 1u);
}

TEST_P(ApiTest, MetricsCountRequestsByRoute) {
  auto c = client();
  c.get("/api/v1/agents");
  c.get("/api/v1/agents/ag_nothing");
  auto metrics = client(false).get("/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("kefu_build_info{"), std::string::npos);
  EXPECT_NE(metrics.body.find(R"(route="/api/v1/agents/{id}")"), std::string::npos);
  EXPECT_NE(metrics.body.find("process_resident_memory_bytes"), std::string::npos);
}

TEST_P(ApiTest, ErlangCGivesTheAgentsAForecastNeeds) {
  auto c = client();
  // The textbook case: 100 calls in 30 minutes, 180 s handle time, 80 % within 20 s.
  auto reply = c.post("/api/v1/staffing/erlang-c", R"({"arrivals_per_interval":100,
      "interval_seconds":1800,"aht_seconds":180,"target_service_level":0.8,"target_answer_seconds":20})");
  ASSERT_EQ(reply.status, 200) << reply.body;
  auto figures = body(reply);
  EXPECT_EQ(figures["agents"], 14);
  EXPECT_NEAR(figures["traffic_erlangs"].get<double>(), 10.0, 1e-9);
  EXPECT_GE(figures["service_level"].get<double>(), 0.8);

  auto bad =
      c.post("/api/v1/staffing/erlang-c", R"({"arrivals_per_interval":100,"aht_seconds":0})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(body(bad)["error"]["field"], "aht_seconds");
  auto wrong_type =
      c.post("/api/v1/staffing/erlang-c", R"({"arrivals_per_interval":"many","aht_seconds":180})");
  EXPECT_EQ(body(wrong_type)["error"]["field"], "arrivals_per_interval");
}

INSTANTIATE_TEST_SUITE_P(Backends, ApiTest, testing::Values(Backend::Sqlite, Backend::Postgres),
                         backendName);

}  // namespace
}  // namespace kefu::test
