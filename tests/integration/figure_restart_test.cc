// A site's contact-center figures outlive a restart: the routing log is stored as it happens and
// replayed at start, and the agents' sessions that ended with the old site are closed at its stop.

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "support/site_fixture.h"

namespace kefu::test {
namespace {

using namespace std::chrono_literals;

class FigureRestartTest : public SiteFixture {
 protected:
  struct AgentTimes {
    std::int64_t staffed_ms = 0;
    std::int64_t not_ready_ms = 0;
  };

  /** @return the agent's figures summed over today's one-day interval. */
  AgentTimes times(const std::string& agent_path) {
    auto reply = client().get(agent_path + "/figures?interval=86400");
    EXPECT_EQ(reply.status, 200) << reply.body;
    AgentTimes t;
    const Json figures = body(reply);  // kept alive across the loop
    for (const auto& interval : figures["intervals"]) {
      t.staffed_ms += interval["staffed_ms"].get<std::int64_t>();
      t.not_ready_ms += interval["not_ready_ms"].get<std::int64_t>();
    }
    return t;
  }
};

TEST_P(FigureRestartTest, AnAgentsStaffedAndNotReadyTimeSurviveARestart) {
  auto agent = client().post(
      "/api/v1/agents",
      Json{{"name", "Li Wei"}, {"extension", "1001"}, {"sip_password", "secret-1001"}}.dump());
  ASSERT_EQ(agent.status, 201) << agent.body;
  const std::string path = "/api/v1/agents/" + body(agent)["id"].get<std::string>();
  ASSERT_EQ(client().post(path + "/login", "").status, 200);
  std::this_thread::sleep_for(1200ms);
  ASSERT_EQ(client().post(path + "/not-ready", R"({"reason":"break"})").status, 200);
  std::this_thread::sleep_for(600ms);
  const AgentTimes before = times(path);
  EXPECT_GE(before.staffed_ms, 1100);

  restart();

  // The session ended with the old site: the agent is logged out, and its time up to the stop,
  // the not-ready part included, is still counted.
  EXPECT_EQ(body(client().get(path + "/state"))["state"], "logged_out");
  const AgentTimes after = times(path);
  EXPECT_GE(after.staffed_ms, before.staffed_ms);
  EXPECT_LT(after.staffed_ms, before.staffed_ms + 1000) << "staffed time stops with the site";
  EXPECT_GE(after.not_ready_ms, 550);

  // A second restart finds nothing open and changes nothing.
  restart();
  const AgentTimes again = times(path);
  EXPECT_EQ(again.staffed_ms, after.staffed_ms);
  EXPECT_EQ(again.not_ready_ms, after.not_ready_ms);
}

INSTANTIATE_TEST_SUITE_P(Backends, FigureRestartTest,
                         testing::Values(Backend::Sqlite, Backend::Postgres), backendName);

}  // namespace
}  // namespace kefu::test
