#include "acd/erlang_c.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace kefu::acd::erlang {
namespace {

// Far above any contact center (the largest run a few tens of thousands of agents), low enough
// that a target no staffing can meet ends with an error instead of a long loop.
constexpr int MaxAgents = 1'000'000;

bool finite(double x) { return std::isfinite(x); }

Result<void> checkTraffic(double traffic_erlangs) {
  if (!finite(traffic_erlangs) || traffic_erlangs < 0) {
    return Error::invalid("traffic_erlangs", "must be a finite number of Erlangs, 0 or more");
  }
  return {};
}

Result<void> checkAgents(int agents) {
  if (agents <= 0) {
    return Error::invalid("agents", "must be 1 or more");
  }
  return {};
}

Result<void> checkAht(double aht_seconds) {
  if (!finite(aht_seconds) || aht_seconds <= 0) {
    return Error::invalid("aht_seconds", "must be a finite number of seconds above 0");
  }
  return {};
}

Result<void> checkAnswerSeconds(double target_answer_seconds) {
  if (!finite(target_answer_seconds) || target_answer_seconds < 0) {
    return Error::invalid("target_answer_seconds", "must be a finite number of seconds, 0 or more");
  }
  return {};
}

// Erlang C from Erlang B: C = N·B / (N − A·(1 − B)). Both B and C are probabilities, so nothing
// here can overflow however large N and A are (the textbook A^N/N! form overflows a double
// from about N = 170).
double waitProbabilityFromB(int agents, double traffic, double b) {
  const double n = agents;
  if (n <= traffic) {
    return 1.0;
  }
  return std::clamp(n * b / (n - traffic * (1.0 - b)), 0.0, 1.0);
}

StaffingFigures figuresFromB(int agents, double traffic, double b, double aht_seconds,
                             double answer_seconds) {
  StaffingFigures f;
  f.agents = agents;
  f.traffic_erlangs = traffic;
  if (agents == 0) {  // only reached with no traffic: nobody waits, nobody works
    f.service_level = 1.0;
    return f;
  }
  const double n = agents;
  f.wait_probability = waitProbabilityFromB(agents, traffic, b);
  if (n <= traffic) {
    f.service_level = 0.0;
    f.average_speed_of_answer_seconds = std::numeric_limits<double>::infinity();
    f.occupancy = 1.0;
    return f;
  }
  f.service_level = std::clamp(
      1.0 - f.wait_probability * std::exp(-(n - traffic) * answer_seconds / aht_seconds), 0.0, 1.0);
  f.average_speed_of_answer_seconds = f.wait_probability * aht_seconds / (n - traffic);
  f.occupancy = traffic / n;
  return f;
}

// B(0) = 1; B(n) = A·B(n−1) / (n + A·B(n−1)).
double nextErlangB(int n, double traffic, double previous_b) {
  const double ab = traffic * previous_b;
  return ab / (n + ab);
}

double erlangBUnchecked(int agents, double traffic) {
  double b = 1.0;
  for (int n = 1; n <= agents; ++n) {
    b = nextErlangB(n, traffic, b);
  }
  return b;
}

}  // namespace

Result<double> trafficErlangs(double arrivals_per_interval, double interval_seconds,
                              double aht_seconds) {
  if (!finite(arrivals_per_interval) || arrivals_per_interval < 0) {
    return Error::invalid("arrivals_per_interval", "must be a finite number, 0 or more");
  }
  if (!finite(interval_seconds) || interval_seconds <= 0) {
    return Error::invalid("interval_seconds", "must be a finite number of seconds above 0");
  }
  KEFU_TRY(checkAht(aht_seconds));
  return arrivals_per_interval * aht_seconds / interval_seconds;
}

Result<double> erlangB(int agents, double traffic_erlangs) {
  if (agents < 0) {
    return Error::invalid("agents", "must be 0 or more");
  }
  KEFU_TRY(checkTraffic(traffic_erlangs));
  return erlangBUnchecked(agents, traffic_erlangs);
}

Result<double> waitProbability(int agents, double traffic_erlangs) {
  KEFU_TRY(checkAgents(agents));
  KEFU_TRY(checkTraffic(traffic_erlangs));
  return waitProbabilityFromB(agents, traffic_erlangs, erlangBUnchecked(agents, traffic_erlangs));
}

Result<StaffingFigures> figuresFor(int agents, double traffic_erlangs, double aht_seconds,
                                   double target_answer_seconds) {
  KEFU_TRY(checkAgents(agents));
  KEFU_TRY(checkTraffic(traffic_erlangs));
  KEFU_TRY(checkAht(aht_seconds));
  KEFU_TRY(checkAnswerSeconds(target_answer_seconds));
  return figuresFromB(agents, traffic_erlangs, erlangBUnchecked(agents, traffic_erlangs),
                      aht_seconds, target_answer_seconds);
}

Result<StaffingFigures> agentsNeeded(const StaffingTarget& target) {
  auto traffic =
      trafficErlangs(target.arrivals_per_interval, target.interval_seconds, target.aht_seconds);
  if (!traffic.ok()) {
    return traffic.error();
  }
  const double a = *traffic;
  if (!finite(target.target_service_level) || target.target_service_level <= 0 ||
      target.target_service_level >= 1) {
    return Error::invalid("target_service_level", "must be a fraction strictly between 0 and 1");
  }
  KEFU_TRY(checkAnswerSeconds(target.target_answer_seconds));
  if (target.max_occupancy &&
      (!finite(*target.max_occupancy) || *target.max_occupancy <= 0 || *target.max_occupancy > 1)) {
    return Error::invalid("max_occupancy", "must be a fraction above 0 and at most 1");
  }
  if (a == 0) {
    return figuresFromB(0, 0, 1.0, target.aht_seconds, target.target_answer_seconds);
  }
  if (a >= MaxAgents) {
    return Error::invalid("arrivals_per_interval",
                          "the forecast traffic exceeds " + std::to_string(MaxAgents) + " Erlangs");
  }
  // Fewer than floor(A) + 1 agents never keep up; fewer than A / max_occupancy break the cap.
  // The small tolerance keeps 8 / 0.8 at 10 agents instead of 11 when the division rounds up.
  double start = std::floor(a) + 1;
  if (target.max_occupancy) {
    start = std::max(start, std::ceil(a / *target.max_occupancy - 1e-9));
  }
  int n = static_cast<int>(start);
  double b = erlangBUnchecked(n, a);
  // The service level rises with every agent added beyond A, so the first N meeting the target
  // is the answer. Erlang B is carried forward one agent at a time: O(answer) in all.
  for (; n <= MaxAgents; ++n) {
    if (n > static_cast<int>(start)) {
      b = nextErlangB(n, a, b);
    }
    StaffingFigures f = figuresFromB(n, a, b, target.aht_seconds, target.target_answer_seconds);
    const bool occupancy_ok = !target.max_occupancy || f.occupancy <= *target.max_occupancy + 1e-12;
    if (f.service_level >= target.target_service_level && occupancy_ok) {
      return f;
    }
  }
  return Error::invalid("target_service_level",
                        "no staffing up to " + std::to_string(MaxAgents) + " agents meets it");
}

Result<StaffingFigures> agentsNeeded(double arrivals_per_interval, double interval_seconds,
                                     double aht_seconds, double target_service_level,
                                     double target_answer_seconds,
                                     std::optional<double> max_occupancy) {
  return agentsNeeded(StaffingTarget{.arrivals_per_interval = arrivals_per_interval,
                                     .interval_seconds = interval_seconds,
                                     .aht_seconds = aht_seconds,
                                     .target_service_level = target_service_level,
                                     .target_answer_seconds = target_answer_seconds,
                                     .max_occupancy = max_occupancy});
}

}  // namespace kefu::acd::erlang
