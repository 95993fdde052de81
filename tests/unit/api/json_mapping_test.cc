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
  auto json = Json::parse(toJson(agent));
  EXPECT_FALSE(json.contains("sip_password"));
  EXPECT_EQ(json["updated_at"], "1970-01-01T00:00:01.500Z");
}

TEST(JsonMappingTest, FormatsTimesAsRfc3339Utc) {
  EXPECT_EQ(formatTime(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(formatTime(951782400123), "2000-02-29T00:00:00.123Z");
  EXPECT_EQ(formatTime(1795470919999), "2026-11-23T21:55:19.999Z");
  EXPECT_EQ(formatTime(4102444799000), "2099-12-31T23:59:59.000Z");
}

TEST(JsonWriterTest, EscapesStringsAndWritesWhatAParserReadsBack) {
  std::string out;
  JsonWriter w(out);
  std::string tricky = "quote\" backslash\\ newline\n tab\t bell\x07 中文";
  w.beginObject().key("s").value(tricky).key("n").value(std::int64_t{-42}).key("z").null();
  w.key("list").beginArray().value(1).beginObject().endObject().beginArray().endArray().endArray();
  w.endObject();
  auto parsed = Json::parse(out);
  EXPECT_EQ(parsed["s"], tricky);
  EXPECT_EQ(parsed["n"], -42);
  EXPECT_TRUE(parsed["z"].is_null());
  EXPECT_EQ(parsed["list"].dump(), "[1,{},[]]");
}

TEST(JsonMappingTest, ParseObjectRejectsWhatIsNotAnObject) {
  EXPECT_EQ(parseObject("").error().field, "body");
  EXPECT_FALSE(parseObject("[1]").ok());
  EXPECT_FALSE(parseObject("{\"a\":").ok());
  EXPECT_TRUE(parseObject("{}").ok());
}

}  // namespace
}  // namespace kefu::api
