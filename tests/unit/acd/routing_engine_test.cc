#include "acd/routing_engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

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

class RoutingEngineTest : public ::testing::Test {
 protected:
  void addQueue(QueueRouting routing) { ASSERT_TRUE(engine_.addQueue(std::move(routing)).ok()); }

  void login(const std::string& id, std::vector<SkillLevel> skills = {}, bool voice = true,
             int chats = 0) {
    AgentLogin l;
    l.agent.id = id;
    l.agent.skills = std::move(skills);
    l.voice = voice;
    l.chat_capacity = chats;
    ASSERT_TRUE(engine_.login(std::move(l)).ok());
  }

  void offer(const std::string& id, const std::string& queue, Channel channel = Channel::Voice,
             int priority = 0, std::string customer = {}) {
    ASSERT_TRUE(engine_.offer({id, queue, channel, priority, std::move(customer)}).ok());
  }

  void advance(std::chrono::milliseconds by) {
    time_.advance(by);
    engine_.advance();
  }

  /** Reserved events as "interaction>agent", in order, since the last call. */
  std::vector<std::string> takeReservations() {
    std::vector<std::string> out;
    for (const auto& e : engine_.eventLog()) {
      if (e.type == Type::Reserved) {
        out.push_back(e.interaction_id + ">" + e.agent_id);
      }
    }
    engine_.clearEventLogForTest();
    return out;
  }

  std::vector<RoutingEvent> eventsOf(const std::string& interaction) const {
    std::vector<RoutingEvent> out;
    for (const auto& e : engine_.eventLog()) {
      if (e.interaction_id == interaction) {
        out.push_back(e);
      }
    }
    return out;
  }

  static std::vector<Type> types(const std::vector<RoutingEvent>& events) {
    std::vector<Type> out;
    out.reserve(events.size());
    for (const auto& e : events) {
      out.push_back(e.type);
    }
    return out;
  }

  /** Answers and ends `id` at once; wrap-up follows the queue. */
  void handle(const std::string& id, const std::string& agent) {
    ASSERT_TRUE(engine_.answer(id, agent).ok());
    ASSERT_TRUE(engine_.end(id).ok());
  }

  AgentState state(const std::string& agent) const { return *engine_.agentState(agent); }

  void TearDown() override { EXPECT_EQ(engine_.checkInvariantsForTest(), ""); }

  SimulatedTime time_;
  RoutingEngine engine_{time_, {.keep_event_log = true}};
};

TEST_F(RoutingEngineTest, LongestIdleOffersTheAgentIdleLongest) {
  addQueue(makeQueue("q", RoutingStrategy::LongestIdle));
  login("a1");
  advance(1s);
  login("a2");
  advance(1s);
  login("a3");
  offer("c1", "q");
  EXPECT_EQ(takeReservations(), std::vector<std::string>{"c1>a1"});
  advance(1s);
  handle("c1", "a1");  // a1 is now the most recently idle
  offer("c2", "q");
  offer("c3", "q");
  offer("c4", "q");
  EXPECT_EQ(takeReservations(), (std::vector<std::string>{"c2>a2", "c3>a3", "c4>a1"}));
}

TEST_F(RoutingEngineTest, LeastOccupiedOffersTheAgentWithFewestHandled) {
  addQueue(makeQueue("q", RoutingStrategy::LeastOccupied));
  login("a1");
  login("a2");
  offer("c1", "q");
  handle("c1", "a1");
  offer("c2", "q");
  EXPECT_EQ(takeReservations(), (std::vector<std::string>{"c1>a1", "c2>a2"}));
  handle("c2", "a2");
  offer("c3", "q");
  handle("c3", "a1");
  offer("c4", "q");  // a1 handled 2, a2 handled 1
  EXPECT_EQ(takeReservations(), (std::vector<std::string>{"c3>a1", "c4>a2"}));
}

TEST_F(RoutingEngineTest, RoundRobinGoesAroundInLoginOrder) {
  addQueue(makeQueue("q", RoutingStrategy::RoundRobin));
  login("a1");
  login("a2");
  login("a3");
  for (const char* c : {"c1", "c2", "c3", "c4"}) {
    offer(c, "q");
    auto r = engine_.eventLog();
    handle(c, r[r.size() - 2].agent_id);  // the Reserved event precedes the agent's state
  }
  EXPECT_EQ(takeReservations(), (std::vector<std::string>{"c1>a1", "c2>a2", "c3>a3", "c4>a1"}));
}

TEST_F(RoutingEngineTest, RingAllAlertsEveryoneAndTheFirstToAnswerWins) {
  addQueue(makeQueue("q", RoutingStrategy::RingAll));
  login("a1");
  login("a2");
  login("a3");
  offer("c1", "q");
  EXPECT_EQ(takeReservations(), (std::vector<std::string>{"c1>a1", "c1>a2", "c1>a3"}));
  ASSERT_TRUE(engine_.answer("c1", "a2").ok());
  EXPECT_EQ(state("a2"), AgentState::Busy);
  EXPECT_EQ(state("a1"), AgentState::Ready);
  EXPECT_EQ(state("a3"), AgentState::Ready);
  EXPECT_EQ(types(eventsOf("c1")), std::vector{Type::Answered});  // the answer closes all alerts
  EXPECT_FALSE(engine_.answer("c1", "a1").ok());
}

TEST_F(RoutingEngineTest, SkillsBestMatchOffersTheHighestLevel) {
  addQueue(makeQueue("q", RoutingStrategy::SkillsBestMatch, {{"en", 1}}));
  login("a1", {{"en", 3}});
  login("a2", {{"en", 9}});
  login("a3", {{"en", 5}});
  login("a4", {});  // not eligible at all
  offer("c1", "q");
  offer("c2", "q");
  offer("c3", "q");
  offer("c4", "q");
  EXPECT_EQ(takeReservations(), (std::vector<std::string>{"c1>a2", "c2>a3", "c3>a1"}));
  EXPECT_EQ(engine_.waitingCount("q"), 1u);
}

TEST_F(RoutingEngineTest, RequiredLevelRelaxesAfterThirtySeconds) {
  auto q = makeQueue("q", RoutingStrategy::LongestIdle, {{"en", 8}});
  q.relaxation = {{30s, 3}};
  addQueue(q);
  login("junior", {{"en", 4}});
  offer("c1", "q");
  advance(29s);
  EXPECT_EQ(takeReservations(), std::vector<std::string>{});
  advance(1s);
  EXPECT_EQ(takeReservations(), std::vector<std::string>{"c1>junior"});
}

TEST_F(RoutingEngineTest, HigherPriorityFirstThenFifo) {
  addQueue(makeQueue("q", RoutingStrategy::LongestIdle));
  login("a1");
  ASSERT_TRUE(engine_.setNotReady("a1", "lunch").ok());
  offer("c1", "q", Channel::Voice, 0);
  offer("c2", "q", Channel::Voice, 5);
  offer("c3", "q", Channel::Voice, 0);
  EXPECT_EQ(engine_.estimate("c2")->position, 1u);
  EXPECT_EQ(engine_.estimate("c1")->position, 2u);
  EXPECT_EQ(engine_.estimate("c3")->position, 3u);
  ASSERT_TRUE(engine_.setReady("a1").ok());
  handle("c2", "a1");
  handle("c1", "a1");
  EXPECT_EQ(takeReservations(), (std::vector<std::string>{"c2>a1", "c1>a1", "c3>a1"}));
}

TEST_F(RoutingEngineTest, StickyAgentGetsTheCustomerWithinTheWindow) {
  auto q = makeQueue("q", RoutingStrategy::LongestIdle);
  q.sticky_window = 30s;
  q.wrap_up = 10s;
  addQueue(q);
  login("a1");
  offer("c1", "q", Channel::Voice, 0, "cust");
  handle("c1", "a1");  // a1 in wrap-up for 10 s
  login("a2");
  offer("c2", "q", Channel::Voice, 0, "cust");
  EXPECT_EQ(takeReservations(), std::vector<std::string>{"c1>a1"});  // c2 waits for a1
  advance(10s);
  EXPECT_EQ(takeReservations(), std::vector<std::string>{"c2>a1"});
}

TEST_F(RoutingEngineTest, StickyAgentLoggedOutMeansNormalRoutingAtOnce) {
  auto q = makeQueue("q", RoutingStrategy::LongestIdle);
  q.sticky_window = 30s;
  addQueue(q);
  login("a1");
  offer("c1", "q", Channel::Voice, 0, "cust");
  handle("c1", "a1");
  ASSERT_TRUE(engine_.logout("a1").ok());
  login("a2");
  takeReservations();
  offer("c2", "q", Channel::Voice, 0, "cust");
  EXPECT_EQ(takeReservations(), std::vector<std::string>{"c2>a2"});
}

TEST_F(RoutingEngineTest, FreedAgentTakesTheHighestPriorityAcrossItsQueues) {
  addQueue(makeQueue("qa", RoutingStrategy::LongestIdle));
  addQueue(makeQueue("qb", RoutingStrategy::LongestIdle));
  login("a1");
  ASSERT_TRUE(engine_.setNotReady("a1", "break").ok());
  offer("old", "qa", Channel::Voice, 0);
  advance(10s);
  offer("vip", "qb", Channel::Voice, 9);
  offer("new", "qb", Channel::Voice, 0);
  ASSERT_TRUE(engine_.setReady("a1").ok());
  handle("vip", "a1");
  handle("old", "a1");  // then the longest wait, whatever the queue
  EXPECT_EQ(takeReservations(), (std::vector<std::string>{"vip>a1", "old>a1", "new>a1"}));
}

TEST_F(RoutingEngineTest, StickyWindowOverGoesToNormalRouting) {
  auto q = makeQueue("q", RoutingStrategy::LongestIdle);
  q.sticky_window = 30s;
  addQueue(q);
  login("a1");
  offer("c1", "q", Channel::Voice, 0, "cust");
  ASSERT_TRUE(engine_.answer("c1", "a1").ok());  // a1 stays busy
  ASSERT_TRUE(engine_.end("c1").ok());
  ASSERT_TRUE(engine_.setNotReady("a1", "break").ok());
  login("a2");
  offer("c2", "q", Channel::Voice, 0, "cust");
  advance(29s);
  takeReservations();
  EXPECT_EQ(engine_.estimate("c2")->position, 1u);
  advance(1s);
  EXPECT_EQ(takeReservations(), std::vector<std::string>{"c2>a2"});
}

TEST_F(RoutingEngineTest, MaxSizeRejectsOnArrival) {
  auto q = makeQueue("q", RoutingStrategy::LongestIdle);
  q.max_size = 2;
  addQueue(q);
  offer("c1", "q");
  offer("c2", "q");
  auto third = engine_.offer({"c3", "q", Channel::Voice, 0, ""});
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.error().code, ErrorCode::Conflict);
  EXPECT_TRUE(eventsOf("c3").empty());
}

TEST_F(RoutingEngineTest, AboveSizeOverflowsToAnExternalPoolOnArrival) {
  auto q = makeQueue("q", RoutingStrategy::LongestIdle);
  q.overflow = {{.above_size = 1, .target = "cloud"}};
  addQueue(q);
  offer("c1", "q");
  offer("c2", "q");
  EXPECT_EQ(types(eventsOf("c2")), (std::vector{Type::Offered, Type::Overflowed}));
  EXPECT_EQ(eventsOf("c2")[1].target, "cloud");
  EXPECT_EQ(eventsOf("c2")[1].reason, "queue_size");
  EXPECT_EQ(engine_.liveInteractionCount(), 1u);
}

TEST_F(RoutingEngineTest, MaxWaitOverflowsToAnotherQueue) {
  auto q = makeQueue("q", RoutingStrategy::LongestIdle, {{"fr", 1}});
  q.overflow = {{.after_wait = 60s, .target = "backup"}};
  addQueue(q);
  addQueue(makeQueue("backup", RoutingStrategy::LongestIdle));
  login("a1");
  ASSERT_TRUE(engine_.setNotReady("a1", "meeting").ok());
  offer("c1", "q");
  advance(59s);
  ASSERT_TRUE(engine_.setReady("a1").ok());  // not eligible for q: no French
  EXPECT_EQ(takeReservations(), std::vector<std::string>{});
  advance(1s);
  const auto& log = engine_.eventLog();
  auto requeued = std::find_if(log.begin(), log.end(),
                               [](const RoutingEvent& e) { return e.type == Type::Requeued; });
  ASSERT_NE(requeued, log.end());
  EXPECT_EQ(requeued->queue_id, "backup");
  EXPECT_EQ(requeued->reason, "overflow");
  EXPECT_EQ(requeued->at_ms, 60'000);
  EXPECT_EQ(takeReservations(), std::vector<std::string>{"c1>a1"});
}

TEST_F(RoutingEngineTest, MaxWaitOverflowsToAnExternalPool) {
  auto q = makeQueue("q", RoutingStrategy::LongestIdle);
  q.overflow = {{.after_wait = 120s, .target = "cloud"}};
  addQueue(q);
  offer("c1", "q");
  advance(200s);
  auto events = eventsOf("c1");
  ASSERT_EQ(types(events), (std::vector{Type::Offered, Type::Overflowed}));
  EXPECT_EQ(events[1].target, "cloud");
  EXPECT_EQ(events[1].reason, "max_wait");
  EXPECT_EQ(events[1].at_ms, 120'000);
  EXPECT_EQ(engine_.liveInteractionCount(), 0u);
}

TEST_F(RoutingEngineTest, QueuedCallbackKeepsItsPlace) {
  addQueue(makeQueue("q", RoutingStrategy::LongestIdle));
  login("a1");
  ASSERT_TRUE(engine_.setNotReady("a1", "break").ok());
  offer("c1", "q");
  offer("c2", "q");
  offer("c3", "q");
  ASSERT_TRUE(engine_.requestCallback("c2").ok());
  ASSERT_TRUE(engine_.abandon("c1").ok());  // c1 leaves: c2 is now first
  EXPECT_EQ(engine_.estimate("c2")->position, 1u);
  EXPECT_EQ(engine_.estimate("c3")->position, 2u);
  ASSERT_TRUE(engine_.setReady("a1").ok());
  EXPECT_EQ(takeReservations(), std::vector<std::string>{"c2>a1"});
  EXPECT_FALSE(engine_.answer("c2", "a1").ok());  // a callback connects, it is not answered
  ASSERT_TRUE(engine_.callbackConnected("c2").ok());
  EXPECT_EQ(state("a1"), AgentState::Busy);
  ASSERT_TRUE(engine_.end("c2").ok());
  EXPECT_EQ(types(eventsOf("c2")),
            (std::vector{Type::CallbackConnected, Type::Ended, Type::WrapUpEnded}));
  EXPECT_EQ(takeReservations(), std::vector<std::string>{"c3>a1"});
}

TEST_F(RoutingEngineTest, ConnectedCallbackTransfersLikeACall) {
  addQueue(makeQueue("q", RoutingStrategy::LongestIdle, {{"sales", 1}}));
  addQueue(makeQueue("billing", RoutingStrategy::LongestIdle, {{"billing", 1}}));
  login("b1", {{"billing", 5}});
  offer("c1", "q");
  ASSERT_TRUE(engine_.requestCallback("c1").ok());
  login("a1", {{"sales", 5}});
  ASSERT_TRUE(engine_.callbackConnected("c1").ok());
  ASSERT_TRUE(engine_.transfer("c1", "billing").ok());
  handle("c1", "b1");  // answered, not connected as a callback again
  EXPECT_EQ(state("b1"), AgentState::Ready);
}

TEST_F(RoutingEngineTest, CallbackNotConnectedInTimeEndsAsAbandoned) {
  auto q = makeQueue("q", RoutingStrategy::LongestIdle);
  q.callback_timeout = 45s;
  addQueue(q);
  login("a1");
  ASSERT_TRUE(engine_.setNotReady("a1", "break").ok());
  offer("c1", "q");
  ASSERT_TRUE(engine_.requestCallback("c1").ok());
  ASSERT_TRUE(engine_.setReady("a1").ok());
  advance(45s);
  auto events = eventsOf("c1");
  EXPECT_EQ(events.back().type, Type::Abandoned);
  EXPECT_EQ(events.back().reason, "callback_failed");
  EXPECT_EQ(state("a1"), AgentState::Ready);  // not the agent's fault
}

TEST_F(RoutingEngineTest, NoAnswerSetsNotReadyAndPutsTheInteractionInFront) {
  auto q = makeQueue("q", RoutingStrategy::LongestIdle);
  q.alert_timeout = 20s;
  addQueue(q);
  login("a1");
  offer("c1", "q");
  offer("c2", "q");
  advance(19s);
  EXPECT_EQ(state("a1"), AgentState::Reserved);
  advance(1s);
  EXPECT_EQ(state("a1"), AgentState::NotReady);
  const auto& log = engine_.eventLog();
  auto no_answer = std::find_if(log.begin(), log.end(),
                                [](const RoutingEvent& e) { return e.type == Type::NoAnswer; });
  ASSERT_NE(no_answer, log.end());
  EXPECT_EQ(no_answer->agent_id, "a1");
  EXPECT_EQ(no_answer->at_ms, 20'000);
  auto not_ready = std::find_if(log.begin(), log.end(), [](const RoutingEvent& e) {
    return e.type == Type::AgentStateChanged && e.state == AgentState::NotReady;
  });
  ASSERT_NE(not_ready, log.end());
  EXPECT_EQ(not_ready->reason, "no_answer");
  EXPECT_EQ(engine_.estimate("c1")->position, 1u);
  EXPECT_EQ(engine_.estimate("c2")->position, 2u);
  takeReservations();
  login("a2");
  EXPECT_EQ(takeReservations(), std::vector<std::string>{"c1>a2"});
}

TEST_F(RoutingEngineTest, WrapUpEndsAutomatically) {
  auto q = makeQueue("q", RoutingStrategy::LongestIdle);
  q.wrap_up = 15s;
  addQueue(q);
  login("a1");
  offer("c1", "q");
  handle("c1", "a1");
  EXPECT_EQ(state("a1"), AgentState::WrapUp);
  offer("c2", "q");  // waits: the agent writes notes
  advance(14s);
  EXPECT_EQ(state("a1"), AgentState::WrapUp);
  ASSERT_EQ(engine_.nextDeadline(), MonotonicTime{} + 15s);
  advance(1s);
  EXPECT_EQ(types(eventsOf("c1")).back(), Type::WrapUpEnded);
  EXPECT_EQ(state("a1"), AgentState::Reserved);  // straight to the waiting c2
}

TEST_F(RoutingEngineTest, ChatAgentHoldsChatsUpToCapacityAndNoVoiceMeanwhile) {
  addQueue(makeQueue("q", RoutingStrategy::LongestIdle));
  login("a1", {}, true, 2);
  offer("m1", "q", Channel::Chat);
  ASSERT_TRUE(engine_.answer("m1", "a1").ok());
  offer("m2", "q", Channel::Chat);
  offer("m3", "q", Channel::Chat);
  offer("v1", "q", Channel::Voice);
  EXPECT_EQ(takeReservations(), (std::vector<std::string>{"m1>a1", "m2>a1"}));
  EXPECT_EQ(engine_.waitingCount("q"), 2u);
  ASSERT_TRUE(engine_.end("m1").ok());
  EXPECT_EQ(takeReservations(), std::vector<std::string>{"m3>a1"});  // chat before the voice call
  ASSERT_TRUE(engine_.abandon("m2").ok());
  ASSERT_TRUE(engine_.abandon("m3").ok());
  EXPECT_EQ(takeReservations(), std::vector<std::string>{"v1>a1"});
}

TEST_F(RoutingEngineTest, ChatsSpreadToTheAgentHoldingFewest) {
  addQueue(makeQueue("q", RoutingStrategy::LongestIdle));
  login("a1", {}, false, 3);
  advance(1s);
  login("a2", {}, false, 3);
  offer("m1", "q", Channel::Chat);
  offer("m2", "q", Channel::Chat);
  offer("m3", "q", Channel::Chat);
  EXPECT_EQ(takeReservations(), (std::vector<std::string>{"m1>a1", "m2>a2", "m3>a1"}));
}

TEST_F(RoutingEngineTest, DeclineSetsNotReadyWithTheReasonAndRoutesToTheNextAgent) {
  addQueue(makeQueue("q", RoutingStrategy::LongestIdle));
  login("a1");
  advance(1s);
  login("a2");
  offer("c1", "q");
  offer("c2", "q");
  EXPECT_EQ(takeReservations(), (std::vector<std::string>{"c1>a1", "c2>a2"}));
  ASSERT_TRUE(engine_.decline("c1", "a1", "rejected").ok());
  EXPECT_EQ(state("a1"), AgentState::NotReady);
  const auto& log = engine_.eventLog();
  auto not_ready = std::find_if(log.rbegin(), log.rend(), [](const RoutingEvent& e) {
    return e.type == Type::AgentStateChanged && e.agent_id == "a1";
  });
  ASSERT_NE(not_ready, log.rend());
  EXPECT_EQ(not_ready->reason, "rejected");
  EXPECT_EQ(engine_.estimate("c1")->position, 1u);
  const auto events = eventsOf("c1");
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().type, Type::NoAnswer);
  EXPECT_EQ(events.back().reason, "rejected");
  // Declining again, or for an agent that is not alerted, is refused.
  EXPECT_EQ(engine_.decline("c1", "a1", "rejected").error().code, ErrorCode::Conflict);
  EXPECT_EQ(engine_.decline("c2", "a1", "rejected").error().code, ErrorCode::Conflict);
  EXPECT_EQ(engine_.decline("nope", "a1", "rejected").error().code, ErrorCode::NotFound);
  handle("c2", "a2");
  EXPECT_EQ(takeReservations(), std::vector<std::string>{"c1>a2"});
}

TEST_F(RoutingEngineTest, DeclineOfOneRingAllAgentKeepsTheOthersRinging) {
  addQueue(makeQueue("q", RoutingStrategy::RingAll));
  login("a1");
  login("a2");
  offer("c1", "q");
  ASSERT_TRUE(engine_.decline("c1", "a1", "unreachable").ok());
  EXPECT_EQ(state("a1"), AgentState::NotReady);
  EXPECT_EQ(state("a2"), AgentState::Reserved);
  ASSERT_TRUE(engine_.answer("c1", "a2").ok());
  EXPECT_EQ(state("a2"), AgentState::Busy);
}

TEST_F(RoutingEngineTest, RingAllNobodyAnswersEveryoneNotReady) {
  auto q = makeQueue("q", RoutingStrategy::RingAll);
  q.alert_timeout = 10s;
  addQueue(q);
  login("a1");
  login("a2");
  offer("c1", "q");
  advance(10s);
  EXPECT_EQ(state("a1"), AgentState::NotReady);
  EXPECT_EQ(state("a2"), AgentState::NotReady);
  EXPECT_EQ(types(eventsOf("c1")), (std::vector{Type::Offered, Type::Reserved, Type::Reserved,
                                                Type::NoAnswer, Type::NoAnswer}));
  EXPECT_EQ(engine_.estimate("c1")->position, 1u);
  ASSERT_TRUE(engine_.setReady("a2").ok());
  EXPECT_EQ(state("a2"), AgentState::Reserved);
}

TEST_F(RoutingEngineTest, NeverTwoVoiceCalls) {
  addQueue(makeQueue("q", RoutingStrategy::RingAll));
  login("a1", {}, true, 3);
  offer("v1", "q");
  offer("v2", "q");
  offer("m1", "q", Channel::Chat);  // nor a chat on top of a call
  EXPECT_EQ(takeReservations(), std::vector<std::string>{"v1>a1"});
  ASSERT_TRUE(engine_.answer("v1", "a1").ok());
  EXPECT_EQ(takeReservations(), std::vector<std::string>{});
  EXPECT_EQ(engine_.waitingCount("q"), 2u);
}

TEST_F(RoutingEngineTest, BlindTransferRequeuesWithoutOfferingAgain) {
  auto sales = makeQueue("sales", RoutingStrategy::LongestIdle, {{"sales", 1}});
  sales.wrap_up = 5s;
  addQueue(sales);
  addQueue(makeQueue("billing", RoutingStrategy::LongestIdle, {{"billing", 1}}));
  login("a1", {{"sales", 5}});
  login("b1", {{"billing", 5}});
  offer("c1", "sales");
  ASSERT_TRUE(engine_.answer("c1", "a1").ok());
  ASSERT_TRUE(engine_.transfer("c1", "billing").ok());
  auto events = eventsOf("c1");
  EXPECT_EQ(types(events), (std::vector{Type::Offered, Type::Reserved, Type::Answered,
                                        Type::Transferred, Type::Requeued, Type::Reserved}));
  EXPECT_EQ(events[3].target, "billing");
  EXPECT_EQ(events[3].agent_id, "a1");
  EXPECT_EQ(events[4].queue_id, "billing");
  EXPECT_EQ(events[4].reason, "transfer");
  EXPECT_EQ(events[5].agent_id, "b1");
  EXPECT_EQ(state("a1"), AgentState::WrapUp);  // Transferred ended a1's talk
  advance(5s);
  EXPECT_EQ(state("a1"), AgentState::Ready);
  EXPECT_EQ(eventsOf("c1").back().type, Type::WrapUpEnded);
  handle("c1", "b1");
}

TEST_F(RoutingEngineTest, AttendedTransferKeepsTheFirstAgentUntilComplete) {
  addQueue(makeQueue("sales", RoutingStrategy::LongestIdle, {{"sales", 1}}));
  addQueue(makeQueue("billing", RoutingStrategy::LongestIdle, {{"billing", 1}}));
  login("a1", {{"sales", 5}});
  login("b1", {{"billing", 5}});
  offer("c1", "sales");
  ASSERT_TRUE(engine_.answer("c1", "a1").ok());
  ASSERT_TRUE(engine_.hold("c1").ok());
  ASSERT_TRUE(engine_.startConsult("c1", "billing").ok());
  EXPECT_EQ(state("b1"), AgentState::Reserved);
  EXPECT_FALSE(engine_.completeConsult("c1").ok());  // b1 has not answered yet
  ASSERT_TRUE(engine_.answer("c1", "b1").ok());
  EXPECT_EQ(state("a1"), AgentState::Busy);
  EXPECT_EQ(state("b1"), AgentState::Busy);
  ASSERT_TRUE(engine_.completeConsult("c1").ok());
  EXPECT_EQ(state("a1"), AgentState::Ready);  // wrap-up 0 s
  EXPECT_EQ(state("b1"), AgentState::Busy);
  ASSERT_TRUE(engine_.end("c1").ok());
  auto events = eventsOf("c1");
  // The consultation stays out of the customer's stream: it shows the hand-over only.
  EXPECT_EQ(types(events),
            (std::vector{Type::Offered, Type::Reserved, Type::Answered, Type::HoldStarted,
                         Type::HoldEnded, Type::Transferred, Type::Reserved, Type::Answered,
                         Type::WrapUpEnded, Type::Ended, Type::WrapUpEnded}));
  EXPECT_EQ(events[5].agent_id, "a1");
  EXPECT_EQ(events[5].target, "b1");
  EXPECT_EQ(events[6].agent_id, "b1");
  EXPECT_EQ(events[8].agent_id, "a1");
  EXPECT_EQ(events[9].agent_id, "b1");
  EXPECT_EQ(events[9].queue_id, "sales");  // still one interaction of the queue it was offered to
}

TEST_F(RoutingEngineTest, CancelledConsultLeavesTheFirstAgentWithTheCustomer) {
  addQueue(makeQueue("sales", RoutingStrategy::LongestIdle, {{"sales", 1}}));
  addQueue(makeQueue("billing", RoutingStrategy::LongestIdle, {{"billing", 1}}));
  login("a1", {{"sales", 5}});
  login("b1", {{"billing", 5}});
  offer("c1", "sales");
  ASSERT_TRUE(engine_.answer("c1", "a1").ok());
  ASSERT_TRUE(engine_.startConsult("c1", "billing").ok());
  ASSERT_TRUE(engine_.cancelConsult("c1").ok());
  EXPECT_EQ(state("b1"), AgentState::Ready);
  EXPECT_EQ(state("a1"), AgentState::Busy);
  EXPECT_EQ(types(eventsOf("c1")), (std::vector{Type::Offered, Type::Reserved, Type::Answered}));
  ASSERT_TRUE(engine_.end("c1").ok());
}

TEST_F(RoutingEngineTest, AbandonWhileWaitingAndWhileRinging) {
  addQueue(makeQueue("q", RoutingStrategy::LongestIdle));
  login("a1");
  offer("c1", "q");
  offer("c2", "q");
  ASSERT_TRUE(engine_.abandon("c2").ok());
  EXPECT_EQ(types(eventsOf("c2")), (std::vector{Type::Offered, Type::Abandoned}));
  ASSERT_TRUE(engine_.abandon("c1").ok());
  auto ringing = eventsOf("c1");
  EXPECT_EQ(ringing.back().type, Type::Abandoned);
  EXPECT_EQ(ringing.back().agent_id, "a1");
  EXPECT_EQ(state("a1"), AgentState::Ready);
  EXPECT_EQ(engine_.liveInteractionCount(), 0u);
  EXPECT_FALSE(engine_.abandon("c1").ok());
}

TEST_F(RoutingEngineTest, EstimatedWaitIsPositionTimesHandleTimeOverStaffedAgents) {
  addQueue(makeQueue("q", RoutingStrategy::LongestIdle));
  login("a1");
  login("a2");
  offer("c1", "q");
  offer("c2", "q");
  ASSERT_TRUE(engine_.answer("c1", "a1").ok());
  ASSERT_TRUE(engine_.answer("c2", "a2").ok());
  advance(100s);
  ASSERT_TRUE(engine_.end("c1").ok());  // handle time 100 s
  ASSERT_TRUE(engine_.setNotReady("a1", "break").ok());
  advance(200s);
  ASSERT_TRUE(engine_.end("c2").ok());  // handle time 300 s
  ASSERT_TRUE(engine_.setNotReady("a2", "break").ok());
  login("a3");
  offer("c3", "q");
  ASSERT_TRUE(engine_.answer("c3", "a3").ok());
  offer("c4", "q");
  offer("c5", "q");
  // Staffed: a3 (busy); a1 and a2 are not ready. Average handle time 200 s.
  auto e = engine_.estimate("c5");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->position, 2u);
  EXPECT_EQ(e->estimated_wait_ms, 400'000);
}

TEST_F(RoutingEngineTest, QueueAddedAfterAgentsLoggedInRoutesToThem) {
  login("a1", {{"en", 2}});
  login("a2", {{"en", 7}});
  addQueue(makeQueue("q", RoutingStrategy::SkillsBestMatch, {{"en", 1}}));
  offer("c1", "q");
  EXPECT_EQ(takeReservations(), std::vector<std::string>{"c1>a2"});
}

TEST_F(RoutingEngineTest, AgentStateMachineAndErrors) {
  addQueue(makeQueue("q", RoutingStrategy::LongestIdle));
  EXPECT_FALSE(engine_.setReady("nobody").ok());
  login("a1");
  EXPECT_EQ(state("a1"), AgentState::Ready);
  EXPECT_FALSE(engine_.setNotReady("a1", "").ok());
  ASSERT_TRUE(engine_.setNotReady("a1", "training").ok());
  EXPECT_EQ(state("a1"), AgentState::NotReady);
  EXPECT_EQ(engine_.eventLog().back().reason, "training");
  ASSERT_TRUE(engine_.setReady("a1").ok());
  offer("c1", "q");
  EXPECT_EQ(engine_.logout("a1").error().code, ErrorCode::Conflict);
  ASSERT_TRUE(engine_.abandon("c1").ok());
  ASSERT_TRUE(engine_.logout("a1").ok());
  EXPECT_EQ(state("a1"), AgentState::LoggedOut);
  EXPECT_FALSE(engine_.offer({"c2", "nope", Channel::Voice, 0, ""}).ok());
  auto bad = makeQueue("bad", RoutingStrategy::LongestIdle);
  bad.relaxation = {{0s, 3}};
  EXPECT_EQ(engine_.addQueue(bad).error().field, "relaxation[0].after");
}

}  // namespace
}  // namespace kefu::acd
