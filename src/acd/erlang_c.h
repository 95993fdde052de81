#pragma once

#include <optional>

#include "core/result.h"

/**
 * Erlang C staffing math: how many agents a forecast needs to meet a service-level target.
 * Pure functions, no state: callable from any thread.
 *
 * The queue model is M/M/N with infinite patience: Poisson arrivals, exponential handle times,
 * N identical agents, nobody abandons. Erlang C therefore overstates the agents needed when
 * customers do abandon; it is the industry's planning baseline all the same.
 */
namespace kefu::acd::erlang {

/** What N agents achieve against A Erlangs of traffic. */
struct StaffingFigures {
  int agents = 0;
  double traffic_erlangs = 0;   // A = arrival rate × average handle time
  double wait_probability = 0;  // P(W > 0): the share of interactions that wait at all
  double service_level = 0;     // the share answered within the target answer time
  double average_speed_of_answer_seconds = 0;  // over all interactions, waiting or not
  double occupancy = 0;                        // A / N: the share of staffed time spent handling
  friend bool operator==(const StaffingFigures&, const StaffingFigures&) = default;
};

/** A forecast for one interval and the service the site promises. */
struct StaffingTarget {
  double arrivals_per_interval = 0;
  double interval_seconds = 1800;
  double aht_seconds = 0;               // average handle time: talk + hold + wrap-up
  double target_service_level = 0.8;    // in (0, 1)
  double target_answer_seconds = 20;    // "80 % answered within 20 s"
  std::optional<double> max_occupancy;  // in (0, 1]; more agents when occupancy would exceed it
};

/** @return A in Erlangs, or InvalidArgument naming the bad field. */
[[nodiscard]] Result<double> trafficErlangs(double arrivals_per_interval, double interval_seconds,
                                            double aht_seconds);

/** @return Erlang B (the blocking probability) for N agents and A Erlangs, computed iteratively. */
[[nodiscard]] Result<double> erlangB(int agents, double traffic_erlangs);

/**
 * @return Erlang C, P(W > 0), for N agents and A Erlangs; 1 when N ≤ A (the queue grows without
 * bound, everyone waits).
 */
[[nodiscard]] Result<double> waitProbability(int agents, double traffic_erlangs);

/**
 * @return every figure for N agents: service level 1 − P(W>0)·e^{−(N−A)·T/AHT}, ASA
 * P(W>0)·AHT/(N−A), occupancy A/N. When N ≤ A the service level is 0, ASA is +infinity and
 * occupancy is reported as 1 (the agents can carry no more than N Erlangs).
 */
[[nodiscard]] Result<StaffingFigures> figuresFor(int agents, double traffic_erlangs,
                                                 double aht_seconds, double target_answer_seconds);

/**
 * @return the smallest N meeting `target` (service level at or above the target, occupancy at or
 * below the maximum), with its figures; N is 0 when no interaction is forecast.
 */
[[nodiscard]] Result<StaffingFigures> agentsNeeded(const StaffingTarget& target);

/** The positional form of agentsNeeded(), as the API names its fields. */
[[nodiscard]] Result<StaffingFigures> agentsNeeded(double arrivals_per_interval,
                                                   double interval_seconds, double aht_seconds,
                                                   double target_service_level,
                                                   double target_answer_seconds,
                                                   std::optional<double> max_occupancy = {});

}  // namespace kefu::acd::erlang
