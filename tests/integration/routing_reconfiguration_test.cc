// Routing follows the directory without a restart: a queue's required skills, an agent's skills
// and a queue's removal change who can serve the queue at once. And the per-interval figures of
// queues and agents through the API.

#include <gtest/gtest.h>

#include "support/site_fixture.h"

namespace kefu::test {
namespace {

class RoutingReconfigurationTest : public SiteFixture {
 protected:
  void SetUp() override {
    SiteFixture::SetUp();
    auto c = client();
    auto skill = c.post("/api/v1/skills", R"({"name":"billing"})");
    ASSERT_EQ(skill.status, 201) << skill.body;
    skill_id_ = body(skill)["id"].get<std::string>();
    auto agent = c.post("/api/v1/agents", agentJson(7).dump());
    ASSERT_EQ(agent.status, 201) << agent.body;
    agent_path_ = "/api/v1/agents/" + body(agent)["id"].get<std::string>();
    auto queue = c.post("/api/v1/queues", queueJson(3).dump());
    ASSERT_EQ(queue.status, 201) << queue.body;
    queue_path_ = "/api/v1/queues/" + body(queue)["id"].get<std::string>();
  }

  Json agentJson(int billing_level) const {
    return Json{{"name", "Li Wei"},
                {"extension", "1001"},
                {"sip_password", "secret-1001"},
                {"skills", Json::array({{{"skill_id", skill_id_}, {"level", billing_level}}})}};
  }

  Json queueJson(int min_level, const std::string& strategy = "longest_idle") const {
    return Json{
        {"name", "general"},
        {"strategy", strategy},
        {"required_skills", Json::array({{{"skill_id", skill_id_}, {"min_level", min_level}}})}};
  }

  /** @return the queue's live state, failing the test unless it is a 200. */
  Json live() {
    auto reply = client().get(queue_path_ + "/live");
    EXPECT_EQ(reply.status, 200) << reply.body;
    return body(reply);
  }

  std::string skill_id_, agent_path_, queue_path_;
};

TEST_P(RoutingReconfigurationTest, QueueAndAgentChangesApplyWithoutARestart) {
  auto c = client();
  EXPECT_EQ(live()["agents_staffed"], 0);
  ASSERT_EQ(c.post(agent_path_ + "/login", "").status, 200);
  EXPECT_EQ(live()["agents_staffed"], 1);
  EXPECT_EQ(live()["agents_ready"], 1);

  // The queue now asks for more than the agent has: it no longer serves it.
  auto raised = c.put(queue_path_, queueJson(8, "skills_best_match").dump());
  ASSERT_EQ(raised.status, 200) << raised.body;
  EXPECT_EQ(live()["agents_staffed"], 0);

  // The agent is trained: at once it serves the queue again, still logged in.
  auto trained = c.put(agent_path_, agentJson(9).dump());
  ASSERT_EQ(trained.status, 200) << trained.body;
  EXPECT_EQ(live()["agents_staffed"], 1);
  EXPECT_EQ(body(c.get(agent_path_ + "/state"))["state"], "ready");

  // Not ready takes the agent off the queue's staff until it is ready again.
  ASSERT_EQ(c.post(agent_path_ + "/not-ready", R"({"reason":"training"})").status, 200);
  EXPECT_EQ(live()["agents_staffed"], 0);
  ASSERT_EQ(c.post(agent_path_ + "/ready", "").status, 200);
  EXPECT_EQ(live()["agents_ready"], 1);

  // A skill level lowered below the queue's minimum takes the agent out again.
  ASSERT_EQ(c.put(agent_path_, agentJson(2).dump()).status, 200);
  EXPECT_EQ(live()["agents_staffed"], 0);

  // Nothing waits in the queue: it can go, and is gone from routing and the store.
  EXPECT_EQ(c.del(queue_path_).status, 204);
  EXPECT_EQ(c.get(queue_path_ + "/live").status, 404);

  // A queue created while the agent is logged in is served at once, by the agent's current skills.
  auto again = c.post("/api/v1/queues", queueJson(2).dump());
  ASSERT_EQ(again.status, 201) << again.body;
  queue_path_ = "/api/v1/queues/" + body(again)["id"].get<std::string>();
  EXPECT_EQ(live()["agents_staffed"], 1);
}

TEST_P(RoutingReconfigurationTest, FiguresComePerWallClockInterval) {
  auto c = client();
  ASSERT_EQ(c.post(agent_path_ + "/login", "").status, 200);
  auto queue = c.get(queue_path_ + "/figures?interval=900");
  ASSERT_EQ(queue.status, 200) << queue.body;
  auto json = body(queue);
  EXPECT_EQ(json["interval_seconds"], 900);
  const auto to = json["to_ms"].get<std::int64_t>();
  EXPECT_EQ(json["from_ms"].get<std::int64_t>(), to - 86'400'000);
  const auto& intervals = json["intervals"];
  ASSERT_GE(intervals.size(), 96U);
  ASSERT_LE(intervals.size(), 97U);
  for (const auto& interval : intervals) {
    const auto start = interval["start_ms"].get<std::int64_t>();
    EXPECT_EQ(start % 900'000, 0) << "not on a wall-clock quarter hour: " << start;
    EXPECT_EQ(interval["end_ms"].get<std::int64_t>() - start, 900'000);
    EXPECT_EQ(interval["offered"], 0);
    EXPECT_TRUE(interval["service_level"].is_null());
  }
  EXPECT_LE(intervals.back()["start_ms"].get<std::int64_t>(), to);
  EXPECT_GE(intervals.back()["end_ms"].get<std::int64_t>(), to);

  auto hourly = c.get(agent_path_ + "/figures?from=" + std::to_string(to - 7'200'000) +
                      "&to=" + std::to_string(to) + "&interval=3600");
  ASSERT_EQ(hourly.status, 200) << hourly.body;
  auto agent = body(hourly);
  ASSERT_GE(agent["intervals"].size(), 2U);
  EXPECT_EQ(agent["intervals"][0]["start_ms"].get<std::int64_t>() % 3'600'000, 0);
  EXPECT_TRUE(agent["intervals"][0].contains("occupancy"));
}

TEST_P(RoutingReconfigurationTest, FiguresRefuseBadParametersAndUnknownIdsAndAgents) {
  auto c = client();
  auto bad_interval = c.get(queue_path_ + "/figures?interval=7");
  EXPECT_EQ(bad_interval.status, 400);
  EXPECT_EQ(body(bad_interval)["error"]["field"], "interval");
  auto bad_from = c.get(agent_path_ + "/figures?from=yesterday");
  EXPECT_EQ(bad_from.status, 400);
  EXPECT_EQ(body(bad_from)["error"]["field"], "from");
  auto unknown = c.get(queue_path_ + "/figures?limit=5");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(body(unknown)["error"]["field"], "limit");
  EXPECT_EQ(c.get("/api/v1/queues/q_nope/figures").status, 404);
  EXPECT_EQ(c.get("/api/v1/agents/ag_nope/figures").status, 404);

  // Supervisors and auditors read figures; agents do not.
  using Login = std::pair<std::string, std::string>;
  for (const auto& [name, role] : {Login{"sam.lee", "auditor"}, Login{"li.wei", "agent"}}) {
    auto user =
        c.post("/api/v1/users",
               Json{{"username", name}, {"role", role}, {"password", "pass-word-1"}}.dump());
    ASSERT_EQ(user.status, 201) << user.body;
  }
  HttpClient auditor(site_->httpPort());
  auditor.setToken(login("sam.lee", "pass-word-1"));
  EXPECT_EQ(auditor.get(queue_path_ + "/figures").status, 200);
  HttpClient agent(site_->httpPort());
  agent.setToken(login("li.wei", "pass-word-1"));
  EXPECT_EQ(agent.get(queue_path_ + "/figures").status, 403);
}

INSTANTIATE_TEST_SUITE_P(Backends, RoutingReconfigurationTest, testing::Values(Backend::Sqlite),
                         backendName);

}  // namespace
}  // namespace kefu::test
