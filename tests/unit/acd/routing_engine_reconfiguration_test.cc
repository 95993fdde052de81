// Runtime reconfiguration of the routing engine: queue settings, queue removal and agent skills
// change while interactions wait, and routing follows at once (simulated time).

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "acd/routing_engine.h"
#include "core/time_source.h"

namespace kefu::acd {
namespace {

using namespace std::chrono_literals;
using Type = RoutingEventType;

QueueRouting makeQueue(const std::string& id, RoutingStrategy strategy,
                       std::vector<SkillRequirement> required = {}) {
  QueueRouting routing;
  routing.queue.id = id;
  routing.queue.name = id;
  routing.queue.strategy = strategy;
  routing.queue.required_skills = std::move(required);
  return routing;
}

class RoutingReconfigurationTest : public ::testing::Test {
 protected:
  void addQueue(QueueRouting routing) { ASSERT_TRUE(engine_.addQueue(std::move(routing)).ok()); }

  void login(const std::string& id, std::vector<SkillLevel> skills = {}) {
    AgentLogin l;
    l.agent.id = id;
    l.agent.skills = std::move(skills);
    ASSERT_TRUE(engine_.login(std::move(l)).ok());
  }

  void offer(const std::string& id, const std::string& queue) {
    ASSERT_TRUE(engine_.offer({id, queue, Channel::Voice, 0, {}}).ok());
  }

  void advance(std::chrono::milliseconds by) {
    time_.advance(by);
    engine_.advance();
  }

  /** Events of `type` as "interaction>agent" (or ">target"), in order, since the last call. */
  std::vector<std::string> take(Type type) {
    std::vector<std::string> out;
    for (const auto& e : engine_.eventLog()) {
      if (e.type == type) {
        out.push_back(e.interaction_id + ">" + (e.agent_id.empty() ? e.target : e.agent_id));
      }
    }
    engine_.clearEventLogForTest();
    return out;
  }

  void handle(const std::string& id, const std::string& agent) {
    ASSERT_TRUE(engine_.answer(id, agent).ok());
    ASSERT_TRUE(engine_.end(id).ok());
  }

  void TearDown() override { EXPECT_EQ(engine_.checkInvariantsForTest(), ""); }

  SimulatedTime time_;
  RoutingEngine engine_{time_, {.keep_event_log = true}};
};

using Strings = std::vector<std::string>;

TEST_F(RoutingReconfigurationTest, AgentGainingTheSkillTakesTheWaitingInteractionAtOnce) {
  addQueue(makeQueue("french", RoutingStrategy::LongestIdle, {{"fr", 5}}));
  login("a1", {{"en", 9}});
  offer("c1", "french");
  advance(2min);
  EXPECT_EQ(take(Type::Reserved), Strings{});
  ASSERT_TRUE(engine_.updateAgentSkills("a1", {{"en", 9}, {"fr", 6}}).ok());
  EXPECT_EQ(take(Type::Reserved), Strings{"c1>a1"});
  EXPECT_EQ(engine_.waitingCount("french"), 0U);
}

TEST_F(RoutingReconfigurationTest, AgentLosingTheSkillGetsNoMoreOfTheQueue) {
  addQueue(makeQueue("french", RoutingStrategy::LongestIdle, {{"fr", 5}}));
  login("a1", {{"fr", 6}});
  ASSERT_TRUE(engine_.updateAgentSkills("a1", {{"fr", 4}}).ok());
  offer("c1", "french");
  EXPECT_EQ(take(Type::Reserved), Strings{});
  EXPECT_EQ(engine_.waitingCount("french"), 1U);
}

TEST_F(RoutingReconfigurationTest, LoweredRequiredLevelRoutesTheWaitingInteraction) {
  addQueue(makeQueue("q", RoutingStrategy::LongestIdle, {{"fr", 8}}));
  login("a1", {{"fr", 5}});
  offer("c1", "q");
  EXPECT_EQ(take(Type::Reserved), Strings{});
  ASSERT_TRUE(engine_.updateQueue(makeQueue("q", RoutingStrategy::LongestIdle, {{"fr", 5}})).ok());
  EXPECT_EQ(take(Type::Reserved), Strings{"c1>a1"});
}

TEST_F(RoutingReconfigurationTest, RaisedRequiredLevelKeepsTheNextInteractionWaiting) {
  addQueue(makeQueue("q", RoutingStrategy::LongestIdle, {{"fr", 5}}));
  login("a1", {{"fr", 5}});
  ASSERT_TRUE(engine_.updateQueue(makeQueue("q", RoutingStrategy::LongestIdle, {{"fr", 8}})).ok());
  offer("c1", "q");
  EXPECT_EQ(take(Type::Reserved), Strings{});
}

TEST_F(RoutingReconfigurationTest, AddedRelaxationReStagesWhatAlreadyWaits) {
  addQueue(makeQueue("q", RoutingStrategy::LongestIdle, {{"fr", 8}}));
  login("a1", {{"fr", 3}});
  login("a2", {{"fr", 3}});
  offer("c1", "q");
  advance(40s);
  offer("c2", "q");
  advance(10s);  // c1 has waited 50 s, c2 10 s
  EXPECT_EQ(take(Type::Reserved), Strings{});
  auto relaxed = makeQueue("q", RoutingStrategy::LongestIdle, {{"fr", 8}});
  relaxed.relaxation = {{30s, 3}};
  ASSERT_TRUE(engine_.updateQueue(relaxed).ok());
  EXPECT_EQ(take(Type::Reserved), Strings{"c1>a1"});  // past 30 s: relaxed at once
  advance(19s);
  EXPECT_EQ(take(Type::Reserved), Strings{});
  advance(1s);  // c2 reaches 30 s
  EXPECT_EQ(take(Type::Reserved), Strings{"c2>a2"});
}

TEST_F(RoutingReconfigurationTest, ChangedStrategyRoutesTheNextInteractionWithIt) {
  addQueue(makeQueue("q", RoutingStrategy::LongestIdle, {{"fr", 1}}));
  login("a1", {{"fr", 2}});
  advance(1s);
  login("a2", {{"fr", 2}});
  advance(1s);
  login("a3", {{"fr", 9}});
  offer("c1", "q");
  EXPECT_EQ(take(Type::Reserved), Strings{"c1>a1"});
  handle("c1", "a1");
  // Longest idle would now pick a2; the best match is a3.
  ASSERT_TRUE(
      engine_.updateQueue(makeQueue("q", RoutingStrategy::SkillsBestMatch, {{"fr", 1}})).ok());
  offer("c2", "q");
  EXPECT_EQ(take(Type::Reserved), Strings{"c2>a3"});
}

TEST_F(RoutingReconfigurationTest, DroppedMaxWaitNoLongerOverflows) {
  auto with_rule = makeQueue("q", RoutingStrategy::LongestIdle);
  with_rule.overflow = {{30s, 0, "cloud"}};
  addQueue(with_rule);
  offer("c1", "q");
  advance(10s);
  ASSERT_TRUE(engine_.updateQueue(makeQueue("q", RoutingStrategy::LongestIdle)).ok());
  advance(60s);
  EXPECT_EQ(take(Type::Overflowed), Strings{});
  EXPECT_EQ(engine_.waitingCount("q"), 1U);
}

TEST_F(RoutingReconfigurationTest, ShortenedMaxWaitOverflowsWhatWaitedLonger) {
  addQueue(makeQueue("q", RoutingStrategy::LongestIdle));
  offer("c1", "q");
  advance(40s);
  offer("c2", "q");
  auto with_rule = makeQueue("q", RoutingStrategy::LongestIdle);
  with_rule.overflow = {{30s, 0, "cloud"}};
  ASSERT_TRUE(engine_.updateQueue(with_rule).ok());
  EXPECT_EQ(take(Type::Overflowed), Strings{"c1>cloud"});
  advance(30s);
  EXPECT_EQ(take(Type::Overflowed), Strings{"c2>cloud"});
}

TEST_F(RoutingReconfigurationTest, QueueIsRemovedOnlyWhenNothingWaitsOrRings) {
  addQueue(makeQueue("q", RoutingStrategy::LongestIdle));
  addQueue(makeQueue("other", RoutingStrategy::LongestIdle));
  offer("c1", "q");
  EXPECT_EQ(engine_.removeQueue("q").error().code, ErrorCode::Conflict);
  login("a1");
  EXPECT_EQ(take(Type::Reserved), Strings{"c1>a1"});
  EXPECT_EQ(engine_.removeQueue("q").error().code, ErrorCode::Conflict);  // ringing
  ASSERT_TRUE(engine_.answer("c1", "a1").ok());
  ASSERT_TRUE(engine_.removeQueue("q").ok());
  // The answered interaction finishes normally; the queue takes nothing new.
  ASSERT_TRUE(engine_.end("c1").ok());
  EXPECT_EQ(engine_.offer({"c2", "q", Channel::Voice, 0, {}}).error().code, ErrorCode::NotFound);
  EXPECT_FALSE(engine_.queueRouting("q").has_value());
  EXPECT_EQ(engine_.removeQueue("q").error().code, ErrorCode::NotFound);
  // The agent still serves the other queue, and the id can be used again.
  offer("c3", "other");
  EXPECT_EQ(take(Type::Reserved), Strings{"c3>a1"});
  ASSERT_TRUE(engine_.addQueue(makeQueue("q", RoutingStrategy::LongestIdle)).ok());
}

TEST_F(RoutingReconfigurationTest, BadReconfigurationsAreRefused) {
  addQueue(makeQueue("q", RoutingStrategy::LongestIdle));
  EXPECT_EQ(engine_.updateQueue(makeQueue("nope", RoutingStrategy::LongestIdle)).error().code,
            ErrorCode::NotFound);
  EXPECT_EQ(engine_.updateAgentSkills("a1", {{"fr", 5}}).error().code, ErrorCode::NotFound);
  login("a1");
  const auto bad = engine_.updateAgentSkills("a1", {{"fr", 11}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::InvalidArgument);
  EXPECT_EQ(bad.error().field, "skills[0].level");
}

}  // namespace
}  // namespace kefu::acd
