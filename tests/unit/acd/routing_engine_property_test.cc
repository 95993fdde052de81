// A long random simulation: every rule at once, checked after every step and through the log.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "acd/kpi.h"
#include "acd/routing_engine.h"
#include "core/assert.h"
#include "core/time_source.h"

namespace kefu::acd {
namespace {

using namespace std::chrono_literals;
using Type = RoutingEventType;
using Pair = std::pair<std::string, std::string>;  // interaction, agent

/** Replays the event stream as a consumer would and records every contradiction. */
class LogChecker final : public RoutingEngine::Listener {
 public:
  void onRoutingEvent(const RoutingEvent& e) override {
    figures_.record(e);  // the contact-center figures must understand every event
    if (figures_.ignoredEvents() > 0 && errors_.empty()) {
      fail("FigureBook ignored an event: " + figures_.lastIgnoredReason());
    }
    if (e.at_ms < last_at_) {
      fail("time goes back at " + std::string{toString(e.type)});
    }
    last_at_ = e.at_ms;
    if (e.type == Type::AgentStateChanged) {
      return;
    }
    const std::string& i = e.interaction_id;
    if (e.type == Type::Offered) {
      if (!offered_.insert(i).second) {
        fail(i + " offered twice");
      }
      return;
    }
    if (!offered_.contains(i)) {
      fail(i + " has " + std::string{toString(e.type)} + " before Offered");
    }
    if (finished_.contains(i) && e.type != Type::Ended && e.type != Type::WrapUpEnded) {
      fail(i + " has " + std::string{toString(e.type)} + " after it finished");
    }
    const Pair p{i, e.agent_id};
    switch (e.type) {
      case Type::Reserved:
        if (!reserved_.insert(p).second) {
          fail(i + " reserved twice for " + e.agent_id);
        }
        channel_[p] = e.channel;
        checkAgent(e.agent_id);
        break;
      case Type::NoAnswer:
      case Type::Answered:
      case Type::CallbackConnected:
        if (reserved_.erase(p) != 1) {
          fail(i + ": " + std::string{toString(e.type)} + " without Reserved for " + e.agent_id);
        }
        if (e.type == Type::Answered) {  // ring-all: the answer closes the other alerts
          for (auto it = reserved_.begin(); it != reserved_.end();) {
            it = it->first == i ? reserved_.erase(it) : std::next(it);
          }
        }
        if (e.type != Type::NoAnswer) {
          talking_.insert(p);
          (e.type == Type::Answered ? answered_ : called_back_).insert(i);
        }
        break;
      case Type::Ended:
      case Type::Transferred:  // talk ends here too; the agent's wrap-up starts
        if (talking_.erase(p) != 1) {
          fail(i + ": " + std::string{toString(e.type)} + " without talk for " + e.agent_id);
        }
        wrap_up_.insert(p);
        break;
      case Type::WrapUpEnded: {
        auto it = wrap_up_.find(p);
        if (it == wrap_up_.end()) {
          fail(i + ": WrapUpEnded without Ended for " + e.agent_id);
        } else {
          wrap_up_.erase(it);
        }
        break;
      }
      case Type::Abandoned:
      case Type::Overflowed:
        for (auto it = reserved_.begin(); it != reserved_.end();) {
          it = it->first == i ? reserved_.erase(it) : std::next(it);
        }
        for (const auto& t : talking_) {
          if (t.first == i) {
            fail(i + " left while talking to " + t.second);
          }
        }
        finished_.insert(i);
        (e.type == Type::Abandoned ? abandoned_ : overflowed_).insert(i);
        break;
      default:
        break;
    }
  }

  void checkAgent(const std::string& agent) {
    int voice = 0;
    int all = 0;
    for (const auto* set : {&reserved_, &talking_}) {
      for (const auto& p : *set) {
        if (p.second == agent) {
          ++all;
          voice += channel_[p] == Channel::Voice ? 1 : 0;
        }
      }
    }
    for (const auto& p : wrap_up_) {
      if (p.second == agent) {
        ++all;
        voice += channel_[p] == Channel::Voice ? 1 : 0;
      }
    }
    if (voice > 1 || (voice == 1 && all > 1)) {
      fail(agent + " holds two interactions with a voice call among them");
    }
  }

  void fail(std::string what) {
    if (errors_.size() < 10) {
      errors_.push_back(std::move(what));
    }
  }

  std::vector<std::string> reservedFor(const std::string& i) const {
    std::vector<std::string> out;
    for (const auto& p : reserved_) {
      if (p.first == i) {
        out.push_back(p.second);
      }
    }
    return out;
  }
  bool talking(const std::string& i) const {
    for (const auto& p : talking_) {
      if (p.first == i) {
        return true;
      }
    }
    return false;
  }

  std::int64_t last_at_ = 0;
  std::set<std::string> offered_, finished_, answered_, called_back_, abandoned_, overflowed_;
  std::set<Pair> reserved_, talking_;
  std::multiset<Pair> wrap_up_;
  std::map<Pair, Channel> channel_;
  std::vector<std::string> errors_;
  FigureBook figures_;
};

QueueRouting queue(const std::string& id, RoutingStrategy strategy,
                   std::vector<SkillRequirement> req) {
  QueueRouting q;
  q.queue.id = id;
  q.queue.name = id;
  q.queue.strategy = strategy;
  q.queue.required_skills = std::move(req);
  return q;
}

TEST(RoutingEnginePropertyTest, NothingLostOrDuplicatedOverSimulatedHours) {
  const std::uint64_t bugs_before = bugCount();
  SimulatedTime time;
  LogChecker checker;
  RoutingEngine engine{time, {.default_chat_capacity = 2}, &checker};

  auto q0 = queue("q0", RoutingStrategy::LongestIdle, {{"s0", 6}});
  q0.relaxation = {{30s, 3}, {60s, 1}};
  q0.overflow = {{.after_wait = 300s, .target = "q1"}};
  q0.wrap_up = 10s;
  auto q1 = queue("q1", RoutingStrategy::RingAll, {{"s1", 1}});
  q1.overflow = {{.after_wait = 240s, .target = "cloud"}};
  auto q2 = queue("q2", RoutingStrategy::SkillsBestMatch, {{"s0", 1}, {"s2", 5}});
  q2.relaxation = {{45s, 1}};
  q2.sticky_window = 20s;
  auto q3 = queue("q3", RoutingStrategy::RoundRobin, {});
  q3.max_size = 6;
  q3.overflow = {{.above_size = 4, .target = "q4"}};
  q3.wrap_up = 5s;
  q3.alert_timeout = 8s;
  auto q4 = queue("q4", RoutingStrategy::LeastOccupied, {{"s2", 1}});
  q4.overflow = {{.above_size = 5, .target = "cloud"}};
  q4.sticky_window = 60s;
  for (auto* q : {&q0, &q1, &q2, &q3, &q4}) {
    ASSERT_TRUE(engine.addQueue(*q).ok());
  }
  const std::vector<std::string> queues{"q0", "q1", "q2", "q3", "q4"};

  std::mt19937 rng(20261123);
  auto pick = [&rng](std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
  };
  auto chance = [&rng](int percent) {
    return std::uniform_int_distribution<int>(0, 99)(rng) < percent;
  };

  std::vector<AgentLogin> agents;
  for (int n = 0; n < 12; ++n) {
    AgentLogin l;
    l.agent.id = "a" + std::to_string(n);
    for (const char* s : {"s0", "s1", "s2"}) {
      if (n == 0 || chance(60)) {
        l.agent.skills.push_back({s, static_cast<int>(1 + pick(10))});
      }
    }
    // Agent 0 can take anything, so nothing waits forever once everyone is back.
    l.voice = n % 4 != 3;
    l.chat_capacity = n % 3 == 0 && n != 0 ? 0 : static_cast<int>(1 + pick(3));
    agents.push_back(l);
    ASSERT_TRUE(engine.login(l).ok());
  }

  std::vector<std::string> live;  // offered, maybe finished (pruned lazily)
  int next_id = 0;
  auto step = [&](bool arrivals) {
    if (arrivals && chance(30)) {
      const std::string id = "i" + std::to_string(next_id++);
      (void)engine.offer({id, queues[pick(queues.size())],
                          chance(60) ? Channel::Voice : Channel::Chat, static_cast<int>(pick(3)),
                          "cust" + std::to_string(pick(15))});
      live.push_back(id);
    }
    if (chance(15)) {
      auto& a = agents[pick(agents.size())];
      switch (pick(4)) {
        case 0:
          (void)engine.setNotReady(a.agent.id, chance(50) ? "break" : "training");
          break;
        case 1:
          (void)engine.setReady(a.agent.id);
          break;
        case 2:
          (void)engine.logout(a.agent.id);
          break;
        default:
          (void)engine.login(a);
          break;
      }
    }
    if (live.empty()) {
      return;
    }
    const std::size_t k = pick(live.size());
    const std::string id = live[k];
    if (checker.finished_.contains(id) || !checker.offered_.contains(id)) {
      live.erase(live.begin() + static_cast<std::ptrdiff_t>(k));
      return;
    }
    const auto ringing = checker.reservedFor(id);
    if (!ringing.empty()) {
      if (chance(10)) {
        (void)engine.abandon(id);
      } else if (chance(10)) {
        (void)engine.callbackFailed(id);
      } else if (chance(85)) {
        (void)engine.answer(id, ringing[pick(ringing.size())]);
        (void)engine.callbackConnected(id);
      }
    } else if (checker.talking(id)) {
      switch (pick(9)) {
        case 0:
          (void)engine.transfer(id, queues[pick(queues.size())]);
          break;
        case 1:
          (void)engine.startConsult(id, queues[pick(queues.size())]);
          break;
        case 2:
          (void)engine.completeConsult(id);
          break;
        case 3:
          (void)engine.cancelConsult(id);
          break;
        case 4:
          (void)engine.hold(id);
          break;
        case 5:
          (void)engine.unhold(id);
          break;
        default:
          (void)engine.end(id);
          break;
      }
    } else if (chance(20)) {
      if (chance(50)) {
        (void)engine.abandon(id);
      } else {
        (void)engine.requestCallback(id);
        if (auto e = engine.estimate(id); e.ok()) {
          EXPECT_GE(e->position, 1u);
        }
      }
    }
  };

  for (int n = 0; n < 20000; ++n) {  // about 14 simulated hours
    time.advance(std::chrono::milliseconds(pick(5000)));
    engine.advance();
    step(true);
    ASSERT_EQ(engine.checkInvariantsForTest(), "") << "after step " << n;
    ASSERT_TRUE(checker.errors_.empty()) << checker.errors_.front();
  }

  // Drain: everyone back to work, every alert answered, every conversation ended.
  for (int round = 0;
       round < 2000 && (engine.liveInteractionCount() > 0 || !checker.wrap_up_.empty()); ++round) {
    for (auto& a : agents) {
      (void)engine.login(a);
      (void)engine.setReady(a.agent.id);
    }
    for (const auto& [i, a] : std::set<Pair>(checker.reserved_)) {
      (void)engine.answer(i, a);
      (void)engine.callbackConnected(i);
    }
    for (const auto& [i, a] : std::set<Pair>(checker.talking_)) {
      (void)engine.cancelConsult(i);
      (void)engine.end(i);
    }
    time.advance(30s);
    engine.advance();
    ASSERT_EQ(engine.checkInvariantsForTest(), "");
  }
  ASSERT_TRUE(checker.errors_.empty()) << checker.errors_.front();
  EXPECT_EQ(engine.liveInteractionCount(), 0u);
  EXPECT_TRUE(checker.reserved_.empty());
  EXPECT_TRUE(checker.talking_.empty());
  EXPECT_TRUE(checker.wrap_up_.empty());
  EXPECT_GT(checker.offered_.size(), 5000u);
  std::size_t outcomes = 0;
  for (const auto& i : checker.offered_) {
    const int n =
        static_cast<int>(checker.abandoned_.contains(i)) +
        static_cast<int>(checker.overflowed_.contains(i)) +
        static_cast<int>(checker.answered_.contains(i) || checker.called_back_.contains(i));
    EXPECT_GE(n, 1) << i << " has no outcome";
    ++outcomes;
  }
  EXPECT_EQ(outcomes, checker.offered_.size());
  EXPECT_EQ(bugCount(), bugs_before);
  // Every kind of outcome happened, so the simulation exercised every path.
  EXPECT_FALSE(checker.answered_.empty());
  EXPECT_FALSE(checker.called_back_.empty());
  EXPECT_FALSE(checker.abandoned_.empty());
  EXPECT_FALSE(checker.overflowed_.empty());
}

}  // namespace
}  // namespace kefu::acd
