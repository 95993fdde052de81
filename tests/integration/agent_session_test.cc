// Agents log in and change state through the API; the routing engine on the site's control loop
// keeps the state, and every change reaches the event stream.

#include <gtest/gtest.h>

#include <mutex>

#include "support/site_fixture.h"

namespace kefu::test {
namespace {

class AgentSessionTest : public SiteFixture {
 protected:
  void SetUp() override {
    SiteFixture::SetUp();
    auto c = client();
    auto user = c.post(
        "/api/v1/users",
        Json{{"username", "li.wei"}, {"role", "agent"}, {"password", "agent-pass-1"}}.dump());
    ASSERT_EQ(user.status, 201) << user.body;
    auto skill = c.post("/api/v1/skills", R"({"name":"billing"})");
    ASSERT_EQ(skill.status, 201);
    auto skill_id = body(skill)["id"].get<std::string>();
    auto agent = c.post("/api/v1/agents",
                        Json{{"name", "Li Wei"},
                             {"extension", "1001"},
                             {"sip_password", "secret-1001"},
                             {"user_id", body(user)["id"]},
                             {"skills", Json::array({{{"skill_id", skill_id}, {"level", 7}}})}}
                            .dump());
    ASSERT_EQ(agent.status, 201) << agent.body;
    agent_path_ = "/api/v1/agents/" + body(agent)["id"].get<std::string>();
    auto other = c.post(
        "/api/v1/agents",
        Json{{"name", "Chen Jing"}, {"extension", "1002"}, {"sip_password", "secret-1002"}}.dump());
    ASSERT_EQ(other.status, 201);
    other_path_ = "/api/v1/agents/" + body(other)["id"].get<std::string>();
    auto queue = c.post(
        "/api/v1/queues",
        Json{{"name", "general"}, {"required_skills", {{{"skill_id", skill_id}, {"min_level", 3}}}}}
            .dump());
    ASSERT_EQ(queue.status, 201);
    queue_path_ = "/api/v1/queues/" + body(queue)["id"].get<std::string>();
  }

  std::string state(HttpClient& c) { return body(c.get(agent_path_ + "/state"))["state"]; }

  std::string agent_path_, other_path_, queue_path_;
};

TEST_P(AgentSessionTest, AnAgentLogsInGoesNotReadyWithAReasonAndBack) {
  auto events = std::make_shared<std::vector<DomainEventPtr>>();
  auto mutex = std::make_shared<std::mutex>();
  auto subscription = site_->eventsForTest().subscribe([events, mutex](const DomainEventPtr& e) {
    std::lock_guard lock(*mutex);
    events->push_back(e);
  });

  HttpClient agent(site_->httpPort());
  agent.setToken(login("li.wei", "agent-pass-1"));
  EXPECT_EQ(state(agent), "logged_out");
  auto logged_in = agent.post(agent_path_ + "/login", "");
  ASSERT_EQ(logged_in.status, 200) << logged_in.body;
  EXPECT_EQ(body(logged_in)["state"], "ready");

  auto no_reason = agent.post(agent_path_ + "/not-ready", R"({"reason":"Coffee Break!"})");
  EXPECT_EQ(no_reason.status, 400);
  EXPECT_EQ(body(no_reason)["error"]["field"], "reason");
  auto paused = agent.post(agent_path_ + "/not-ready", R"({"reason":"break"})");
  ASSERT_EQ(paused.status, 200) << paused.body;
  EXPECT_EQ(body(paused)["state"], "not_ready");
  EXPECT_EQ(body(paused)["reason"], "break");
  EXPECT_EQ(agent.post(agent_path_ + "/ready", "").status, 200);
  EXPECT_EQ(state(agent), "ready");
  EXPECT_EQ(agent.post(agent_path_ + "/logout", "").status, 200);
  EXPECT_EQ(state(agent), "logged_out");

  site_->eventsForTest().unsubscribe(subscription);
  std::vector<std::string> states;
  for (const auto& e : *events) {
    if (e->type == "agent.state_changed") {
      states.push_back(Json::parse(e->payload_json)["state"]);
    }
  }
  EXPECT_EQ(states, (std::vector<std::string>{"ready", "not_ready", "ready", "logged_out"}));
}

TEST_P(AgentSessionTest, AnAgentDrivesOnlyItsOwnSession) {
  HttpClient agent(site_->httpPort());
  agent.setToken(login("li.wei", "agent-pass-1"));
  auto denied = agent.post(other_path_ + "/login", "");
  EXPECT_EQ(denied.status, 403);
  auto admin = client();
  EXPECT_EQ(admin.post(other_path_ + "/login", "").status, 200);  // a supervisor's or admin's right
  auto twice = admin.post(other_path_ + "/login", "");
  EXPECT_EQ(twice.status, 409) << twice.body;
  auto not_logged_in = admin.post(agent_path_ + "/ready", "");
  EXPECT_EQ(not_logged_in.status, 409) << not_logged_in.body;
  EXPECT_EQ(admin.post("/api/v1/agents/ag_nobody/login", "").status, 404);
}

TEST_P(AgentSessionTest, QueuesShowTheirLiveState) {
  auto live = client().get(queue_path_ + "/live");
  ASSERT_EQ(live.status, 200) << live.body;
  auto json = body(live);
  EXPECT_EQ(json["waiting"], 0);
  EXPECT_EQ(json["today"]["offered"], 0);
  EXPECT_TRUE(json["today"]["service_level"].is_null());
}

INSTANTIATE_TEST_SUITE_P(Backends, AgentSessionTest, testing::Values(Backend::Sqlite), backendName);

}  // namespace
}  // namespace kefu::test
