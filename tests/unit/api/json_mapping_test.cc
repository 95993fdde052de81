#include "api/json_mapping.h"

#include <gtest/gtest.h>

namespace kefu::api {
namespace {

TEST(JsonMappingTest, ReadsAnAgentAndNamesTheFirstBadField) {
  auto body = Json::parse(R"({"name":"Li","extension":"1001","sip_password":"secret-1",
                               "skills":[{"skill_id":"sk_1","level":3}],"id":"ignored"})");
  auto agent = agentFromJson(body, {}, true);
  ASSERT_TRUE(agent.ok()) << agent.error().message;
  EXPECT_EQ(agent->extension, "1001");
  EXPECT_EQ(agent->skills, (std::vector<acd::SkillLevel>{{"sk_1", 3}}));
  EXPECT_TRUE(agent->id.empty());  // read-only fields are not taken from the client

  body["skills"][0]["level"] = "3";
  auto bad = agentFromJson(body, {}, true);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().field, "skills[0].level");

  body.erase("skills");
  body["colour"] = "blue";
  auto unknown = agentFromJson(body, {}, true);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().field, "colour");
}

TEST(JsonMappingTest, UpdateKeepsTheStoredSipPasswordWhenLeftOut) {
  acd::Agent stored;
  stored.sip_password = "kept-secret";
  auto body = Json::parse(R"({"name":"Li","extension":"1001"})");
  auto updated = agentFromJson(body, stored, false);
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(updated->sip_password, "kept-secret");
  EXPECT_FALSE(agentFromJson(body, stored, true).ok());
}

TEST(JsonMappingTest, QueueStrategyMustBeKnown) {
  auto ok = queueFromJson(Json::parse(R"({"name":"q","strategy":"ring_all"})"), {});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->strategy, acd::RoutingStrategy::RingAll);
  auto bad = queueFromJson(Json::parse(R"({"name":"q","strategy":"random"})"), {});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().field, "strategy");
  EXPECT_NE(bad.error().message.find("skills_best_match"), std::string::npos);
}

TEST(JsonMappingTest, AgentJsonNeverShowsTheSipPassword) {
  acd::Agent agent{"ag_1", "Li", "1001", "secret-1", "", {{"sk_1", 4}}, 0, 1500};
  auto json = toJson(agent);
  EXPECT_FALSE(json.contains("sip_password"));
  EXPECT_EQ(json["updated_at"], "1970-01-01T00:00:01.500Z");
}

TEST(JsonMappingTest, ParseObjectRejectsWhatIsNotAnObject) {
  EXPECT_EQ(parseObject("").error().field, "body");
  EXPECT_FALSE(parseObject("[1]").ok());
  EXPECT_FALSE(parseObject("{\"a\":").ok());
  EXPECT_TRUE(parseObject("{}").ok());
}

}  // namespace
}  // namespace kefu::api
