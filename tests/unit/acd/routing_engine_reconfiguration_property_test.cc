// A random simulation in which queues and skills change all the time: the engine's invariants
// hold after every step, the figures understand every event, and everything drains at the end.

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "acd/kpi.h"
#include "acd/routing_engine.h"
#include "core/time_source.h"

namespace kefu::acd {
namespace {

using namespace std::chrono_literals;
using Type = RoutingEventType;

/** Follows the stream: who is alerted for what, who talks to whom, what finished. */
class Tracker final : public RoutingEngine::Listener {
 public:
  void onRoutingEvent(const RoutingEvent& e) override {
    figures.record(e);
    const std::string& i = e.interaction_id;
    switch (e.type) {
      case Type::Offered:
        ++offered;
        break;
      case Type::Reserved:
        ringing[i].insert(e.agent_id);
        break;
      case Type::NoAnswer:
        ringing[i].erase(e.agent_id);
        break;
      case Type::Answered:
      case Type::CallbackConnected:
        ringing.erase(i);
        talking[i] = e.agent_id;
        break;
      case Type::Ended:
      case Type::Transferred:
        talking.erase(i);
        if (e.type == Type::Ended) {
          ++finished;
        }
        break;
      case Type::Abandoned:
      case Type::Overflowed:
        ringing.erase(i);
        ++finished;
        break;
      default:
        break;
    }
    std::erase_if(ringing, [](const auto& entry) { return entry.second.empty(); });
  }

  FigureBook figures;
  std::map<std::string, std::set<std::string>> ringing;
  std::map<std::string, std::string> talking;
  std::uint64_t offered = 0;
  std::uint64_t finished = 0;
};

const std::vector<std::string> QueueIds{"q0", "q1", "q2", "q3"};
const std::vector<std::string> SkillIds{"s0", "s1", "s2"};
constexpr RoutingStrategy Strategies[] = {
    RoutingStrategy::LongestIdle, RoutingStrategy::LeastOccupied, RoutingStrategy::RoundRobin,
    RoutingStrategy::RingAll, RoutingStrategy::SkillsBestMatch};

class RandomReconfiguration {
 public:
  explicit RandomReconfiguration(unsigned seed) : rng_(seed) {}

  QueueRouting randomQueue(const std::string& id) {
    QueueRouting q;
    q.queue.id = id;
    q.queue.name = id;
    q.queue.strategy = Strategies[pick(std::size(Strategies))];
    if (pick(3) != 0) {
      q.queue.required_skills.push_back({SkillIds[pick(SkillIds.size())], 1 + pick(10)});
    }
    if (pick(2) == 0) {
      q.relaxation.push_back({std::chrono::milliseconds{1000 * (5 + pick(40))}, 1});
    }
    if (pick(3) == 0) {
      const std::string target = pick(2) == 0 ? "cloud" : QueueIds[pick(QueueIds.size())];
      if (target != id) {
        q.overflow.push_back({std::chrono::milliseconds{1000 * (10 + pick(60))}, 0, target});
      }
    }
    q.wrap_up = std::chrono::milliseconds{1000 * pick(5)};
    q.alert_timeout = std::chrono::milliseconds{1000 * (3 + pick(10))};
    return q;
  }

  std::vector<SkillLevel> randomSkills() {
    std::vector<SkillLevel> skills;
    for (const auto& s : SkillIds) {
      if (pick(2) == 0) {
        skills.push_back({s, 1 + pick(10)});
      }
    }
    return skills;
  }

  int pick(std::size_t n) { return static_cast<int>(rng_() % n); }

  template <class Map>
  std::string anyKey(const Map& map) {
    auto it = map.begin();
    std::advance(it, pick(map.size()));
    return it->first;
  }

 private:
  std::mt19937 rng_;
};

TEST(RoutingReconfigurationPropertyTest, InvariantsHoldWhileEverythingChanges) {
  for (unsigned seed = 1; seed <= 8; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    SimulatedTime time;
    Tracker tracker;
    RoutingEngine engine(time, {.keep_event_log = true}, &tracker);
    RandomReconfiguration r(seed);
    for (const auto& q : QueueIds) {
      ASSERT_TRUE(engine.addQueue(r.randomQueue(q)).ok());
    }
    std::vector<std::string> agents;
    for (int a = 0; a < 8; ++a) {
      agents.push_back("a" + std::to_string(a));
      ASSERT_TRUE(engine.login({{agents.back(), "", "", "", "", r.randomSkills()}, true, 2}).ok());
    }
    int next_id = 0;
    std::vector<std::string> offered;
    for (int step = 0; step < 3000; ++step) {
      switch (r.pick(12)) {
        case 0:
        case 1:
        case 2:
          offered.push_back("i" + std::to_string(next_id++));
          (void)engine.offer({offered.back(), QueueIds[r.pick(QueueIds.size())],
                              r.pick(4) == 0 ? Channel::Chat : Channel::Voice, r.pick(3), ""});
          break;
        case 3:
          if (!tracker.ringing.empty()) {
            const auto id = r.anyKey(tracker.ringing);
            (void)engine.answer(id, *tracker.ringing[id].begin());
          }
          break;
        case 4:
          if (!tracker.talking.empty()) {
            const auto id = r.anyKey(tracker.talking);
            if (r.pick(4) == 0) {
              (void)engine.transfer(id, QueueIds[r.pick(QueueIds.size())]);
            } else {
              (void)engine.end(id);
            }
          }
          break;
        case 5:
          if (!offered.empty()) {
            (void)engine.abandon(offered[r.pick(offered.size())]);
          }
          break;
        case 6:
          (void)engine.updateQueue(r.randomQueue(QueueIds[r.pick(QueueIds.size())]));
          break;
        case 7:
          (void)engine.updateAgentSkills(agents[r.pick(agents.size())], r.randomSkills());
          break;
        case 8: {
          const auto& q = QueueIds[r.pick(QueueIds.size())];
          if (engine.removeQueue(q).ok()) {
            ASSERT_TRUE(engine.addQueue(r.randomQueue(q)).ok());
          }
          break;
        }
        case 9:
          (void)(r.pick(2) == 0 ? engine.setReady(agents[r.pick(agents.size())])
                                : engine.setNotReady(agents[r.pick(agents.size())], "break"));
          break;
        default:
          time.advance(std::chrono::milliseconds{r.pick(8000)});
          engine.advance();
          break;
      }
      ASSERT_EQ(engine.checkInvariantsForTest(), "") << "after step " << step;
    }

    // Drain: every queue takes every agent, everyone is ready and answers.
    for (const auto& q : QueueIds) {
      QueueRouting open;
      open.queue.id = q;
      open.queue.name = q;
      ASSERT_TRUE(engine.updateQueue(open).ok());
    }
    for (int round = 0; round < 200 && engine.liveInteractionCount() > 0; ++round) {
      for (const auto& a : agents) {
        (void)engine.setReady(a);
      }
      for (const auto& [id, alerted] : std::map{tracker.ringing}) {
        (void)engine.answer(id, *alerted.begin());
      }
      for (const auto& [id, agent] : std::map{tracker.talking}) {
        (void)engine.end(id);
      }
      time.advance(10s);
      engine.advance();
      ASSERT_EQ(engine.checkInvariantsForTest(), "");
    }
    time.advance(60s);
    engine.advance();
    EXPECT_EQ(engine.liveInteractionCount(), 0U);
    EXPECT_EQ(tracker.finished, tracker.offered) << "every offered interaction finished once";
    EXPECT_GT(tracker.offered, 500U);
    EXPECT_EQ(tracker.figures.ignoredEvents(), 0U) << tracker.figures.lastIgnoredReason();
    EXPECT_EQ(figureDifferences(tracker.figures, replay(engine.eventLog()), 0,
                                tracker.figures.nowMs() + 1),
              std::vector<std::string>{});
  }
}

}  // namespace
}  // namespace kefu::acd
