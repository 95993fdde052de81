// Routing decision latency and throughput of acd::RoutingEngine on one core.
//
// usage: kefu_acd_bench [PREFIX]   prints the figures whose names start with PREFIX (all when
// empty)
//
// 10,000 agents (3 random skills of 50, levels 1–10), 500 queues (one required skill each, a
// relaxation step after 30 s, the four single-agent strategies in turn), every agent busy and
// 5,000 interactions waiting. Then, on simulated time with a fixed seed, 200,000 times: a random
// conversation ends (the freed agent picks the best waiting interaction: an agent-driven decision)
// and a new interaction arrives (it waits or is routed: an interaction-driven decision). Each
// decision is the one engine call that makes it, event construction for a listener included.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "acd/routing_engine.h"
#include "core/time_source.h"

namespace {

using kefu::acd::RoutingEvent;
using kefu::acd::RoutingEventType;

constexpr int Agents = 10'000;
constexpr int Queues = 500;
constexpr int Skills = 50;
constexpr std::size_t Waiting = 5'000;
constexpr int Decisions = 200'000;

/** Keeps what the bench needs from the event stream: who was just reserved. */
class Reservations final : public kefu::acd::RoutingEngine::Listener {
 public:
  void onRoutingEvent(const RoutingEvent& event) override {
    if (event.type == RoutingEventType::Reserved) {
      pending.emplace_back(event.interaction_id, event.agent_id);
    }
  }
  std::vector<std::pair<std::string, std::string>> pending;
};

void fail(const char* what) {
  std::fprintf(stderr, "acd_bench: %s\n", what);
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string_view prefix = argc > 1 ? argv[1] : "";
  const std::vector<std::string_view> names{"acd_decision_p50_us", "acd_decision_p99_us",
                                            "acd_decisions_per_sec"};
  if (std::none_of(names.begin(), names.end(),
                   [&](std::string_view n) { return n.starts_with(prefix); })) {
    return 0;
  }

  kefu::SimulatedTime time;
  Reservations reservations;
  kefu::acd::RoutingEngine engine{time, {}, &reservations};
  std::mt19937 rng(5);
  auto uniform = [&rng](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };

  using kefu::acd::RoutingStrategy;
  constexpr RoutingStrategy Strategies[] = {
      RoutingStrategy::LongestIdle, RoutingStrategy::LeastOccupied, RoutingStrategy::RoundRobin,
      RoutingStrategy::SkillsBestMatch};
  for (int q = 0; q < Queues; ++q) {
    kefu::acd::QueueRouting routing;
    routing.queue.id = "q" + std::to_string(q);
    routing.queue.name = routing.queue.id;
    routing.queue.strategy = Strategies[q % 4];
    routing.queue.required_skills = {{"s" + std::to_string(q % Skills), 1 + (q / Skills) % 5}};
    routing.relaxation = {{std::chrono::seconds{30}, 1}};
    routing.alert_timeout = std::chrono::hours{24};  // the bench answers every alert itself
    if (!engine.addQueue(std::move(routing)).ok()) {
      fail("addQueue");
    }
  }
  for (int a = 0; a < Agents; ++a) {
    kefu::acd::AgentLogin login;
    login.agent.id = "a" + std::to_string(a);
    std::vector<int> skills;
    while (skills.size() < 3) {
      const int s = uniform(0, Skills - 1);
      if (std::find(skills.begin(), skills.end(), s) == skills.end()) {
        skills.push_back(s);
        login.agent.skills.push_back({"s" + std::to_string(s), uniform(1, 10)});
      }
    }
    login.chat_capacity = 0;
    if (!engine.login(std::move(login)).ok()) {
      fail("login");
    }
  }

  std::vector<std::string> talking;
  int next_id = 0;
  auto answer_pending = [&] {
    for (auto& [interaction, agent] : reservations.pending) {
      if (!engine.answer(interaction, agent).ok()) {
        fail("answer");
      }
      talking.push_back(interaction);
    }
    reservations.pending.clear();
  };
  auto offer_one = [&] {
    const std::string id = "i" + std::to_string(next_id++);
    return engine.offer({id,
                         "q" + std::to_string(uniform(0, Queues - 1)),
                         kefu::acd::Channel::Voice,
                         uniform(0, 2),
                         {}});
  };

  // Fill: every agent busy, then Waiting interactions in the queues.
  std::size_t waiting = 0;
  while (waiting < Waiting) {
    if (!offer_one().ok()) {
      fail("offer");
    }
    if (reservations.pending.empty()) {
      ++waiting;
    }
    answer_pending();
  }

  std::vector<double> latencies_us;
  latencies_us.reserve(std::size_t{2} * Decisions);
  double total_s = 0;
  using Clock = std::chrono::steady_clock;
  auto timed = [&](auto&& call) {
    const auto start = Clock::now();
    const bool ok = call();
    const auto spent = std::chrono::duration<double>(Clock::now() - start).count();
    if (!ok) {
      fail("engine call");
    }
    latencies_us.push_back(spent * 1e6);
    total_s += spent;
  };
  for (int n = 0; n < Decisions; ++n) {
    time.advance(std::chrono::milliseconds{uniform(0, 20)});
    engine.advance();
    const auto k = static_cast<std::size_t>(uniform(0, static_cast<int>(talking.size()) - 1));
    std::swap(talking[k], talking.back());
    const std::string id = std::move(talking.back());
    talking.pop_back();
    timed([&] { return engine.end(id).ok(); });  // the freed agent takes a waiting interaction
    answer_pending();
    timed([&] { return offer_one().ok(); });  // the arrival waits or is routed
    answer_pending();
  }

  std::sort(latencies_us.begin(), latencies_us.end());
  auto percentile = [&](double p) {
    return latencies_us[static_cast<std::size_t>(p * static_cast<double>(latencies_us.size() - 1))];
  };
  const double values[] = {percentile(0.50), percentile(0.99),
                           static_cast<double>(latencies_us.size()) / total_s};
  const char* units[] = {"us", "us", "1/s"};
  std::fprintf(stderr, "acd_bench: %zu decisions, %zu waiting at the end\n", latencies_us.size(),
               engine.liveInteractionCount() - talking.size());
  for (std::size_t f = 0; f < names.size(); ++f) {
    if (names[f].starts_with(prefix)) {
      std::printf("bench: %.*s %.2f %s\n", static_cast<int>(names[f].size()), names[f].data(),
                  values[f], units[f]);
    }
  }
  return 0;
}
