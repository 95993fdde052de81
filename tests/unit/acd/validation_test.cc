#include <gtest/gtest.h>

#include "acd/agent.h"
#include "acd/queue.h"

namespace kefu::acd {
namespace {

Agent validAgent() { return {"ag_1", "Li Wei", "1001", "secret-1001", "", {{"sk_1", 5}}, 0, 0}; }

TEST(AgentValidationTest, AcceptsAValidAgent) { EXPECT_TRUE(validate(validAgent()).ok()); }

TEST(AgentValidationTest, NamesTheBrokenRule) {
  auto a = validAgent();
  a.extension = "10a1";
  EXPECT_EQ(validate(a).error().field, "extension");
  a = validAgent();
  a.skills = {{"sk_1", 11}};
  EXPECT_EQ(validate(a).error().field, "skills[0].level");
  a = validAgent();
  a.skills = {{"sk_1", 2}, {"sk_1", 3}};
  EXPECT_EQ(validate(a).error().field, "skills[1].skill_id");
  a = validAgent();
  a.sip_password = "short";
  EXPECT_EQ(validate(a).error().field, "sip_password");
}

TEST(QueueValidationTest, ChecksServiceLevelAndRequiredSkills) {
  Queue q{"q_1", "general", RoutingStrategy::LongestIdle, {{"sk_1", 3}}, 20, 0, 0};
  EXPECT_TRUE(validate(q).ok());
  q.service_level_seconds = 0;
  EXPECT_EQ(validate(q).error().field, "service_level_seconds");
  q.service_level_seconds = 20;
  q.required_skills = {{"sk_1", 0}};
  EXPECT_EQ(validate(q).error().field, "required_skills[0].min_level");
}

TEST(RoutingStrategyTest, NamesRoundTrip) {
  for (auto s :
       {RoutingStrategy::LongestIdle, RoutingStrategy::LeastOccupied, RoutingStrategy::RoundRobin,
        RoutingStrategy::RingAll, RoutingStrategy::SkillsBestMatch}) {
    EXPECT_EQ(parseRoutingStrategy(toString(s)), s);
  }
  EXPECT_FALSE(parseRoutingStrategy("random").has_value());
}

}  // namespace
}  // namespace kefu::acd
