#include "acd/erlang_c.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace kefu::acd::erlang {
namespace {

TEST(ErlangCTest, ErlangBMatchesTheTable) {
  // Erlang B tables give 0.215 for 10 Erlangs on 10 trunks; 10 Erlangs on 20 trunks block 0.0019.
  EXPECT_NEAR(*erlangB(10, 10.0), 0.21458, 1e-5);
  EXPECT_NEAR(*erlangB(20, 10.0), 0.0019, 5e-5);
  EXPECT_DOUBLE_EQ(*erlangB(0, 3.0), 1.0);
}

TEST(ErlangCTest, TextbookForecastNeedsFourteenAgents) {
  // 100 calls in 30 min with AHT 180 s is A = 100 × 180 / 1800 = 10 Erlangs.
  // Checked by hand with B(0) = 1, B(n) = A·B/(n + A·B), C = N·B / (N − A(1 − B)):
  //   N = 13: C = 0.28527, SL = 1 − 0.28527·e^{−3·20/180} = 0.7956 (< 0.80),
  //   N = 14: C = 0.17413, SL = 1 − 0.17413·e^{−4·20/180} = 0.8884, ASA = 0.17413·180/4 = 7.84 s.
  auto f = agentsNeeded(100, 1800, 180, 0.8, 20);
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->agents, 14);
  EXPECT_DOUBLE_EQ(f->traffic_erlangs, 10.0);
  EXPECT_NEAR(f->wait_probability, 0.17413, 1e-5);
  EXPECT_NEAR(f->service_level, 0.88835, 1e-5);
  EXPECT_NEAR(f->average_speed_of_answer_seconds, 7.8359, 1e-4);
  EXPECT_NEAR(f->occupancy, 10.0 / 14, 1e-12);

  auto thirteen = figuresFor(13, 10.0, 180, 20);
  ASSERT_TRUE(thirteen.ok());
  EXPECT_NEAR(thirteen->wait_probability, 0.28527, 1e-5);
  EXPECT_NEAR(thirteen->service_level, 0.79559, 1e-5);
  EXPECT_LT(thirteen->service_level, 0.8);
}

TEST(ErlangCTest, MaxOccupancyAddsAgents) {
  // 14 agents carry 10 Erlangs at 71 % occupancy; a 70 % cap needs ceil(10 / 0.7) = 15.
  EXPECT_EQ(agentsNeeded(100, 1800, 180, 0.8, 20, 0.75)->agents, 14);
  EXPECT_EQ(agentsNeeded(100, 1800, 180, 0.8, 20, 0.7)->agents, 15);
  // 8 Erlangs at 80 %: exactly 10 agents, not 11 from a division rounding up.
  EXPECT_EQ(agentsNeeded(80, 1800, 180, 0.01, 20, 0.8)->agents, 10);
}

TEST(ErlangCTest, OverloadedQueueWaitsForever) {
  auto f = figuresFor(10, 10.0, 180, 20);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->wait_probability, 1.0);
  EXPECT_EQ(f->service_level, 0.0);
  EXPECT_TRUE(std::isinf(f->average_speed_of_answer_seconds));
}

TEST(ErlangCTest, MoreAgentsNeverServeWorse) {
  double previous_wait = 1.0;
  double previous_sl = 0.0;
  double previous_asa = std::numeric_limits<double>::infinity();
  for (int n = 11; n <= 40; ++n) {
    auto f = figuresFor(n, 10.0, 180, 20);
    ASSERT_TRUE(f.ok());
    EXPECT_LT(f->wait_probability, previous_wait) << n;
    EXPECT_GT(f->service_level, previous_sl) << n;
    EXPECT_LT(f->average_speed_of_answer_seconds, previous_asa) << n;
    previous_wait = f->wait_probability;
    previous_sl = f->service_level;
    previous_asa = f->average_speed_of_answer_seconds;
  }
  // And more traffic or a stricter target never needs fewer agents.
  int previous = 0;
  for (double calls : {50.0, 100.0, 200.0, 400.0, 800.0}) {
    int n = agentsNeeded(calls, 1800, 180, 0.8, 20)->agents;
    EXPECT_GT(n, previous) << calls;
    previous = n;
  }
  EXPECT_GE(agentsNeeded(100, 1800, 180, 0.95, 20)->agents,
            agentsNeeded(100, 1800, 180, 0.8, 20)->agents);
  EXPECT_GE(agentsNeeded(100, 1800, 180, 0.8, 5)->agents,
            agentsNeeded(100, 1800, 180, 0.8, 20)->agents);
}

TEST(ErlangCTest, StableAtTwoThousandErlangs) {
  // 20,000 calls in 30 min at 180 s: A = 2000. The A^N/N! form overflows a double here.
  auto f = agentsNeeded(20000, 1800, 180, 0.8, 20);
  ASSERT_TRUE(f.ok());
  EXPECT_DOUBLE_EQ(f->traffic_erlangs, 2000.0);
  // Computed with the same recurrence in double precision: N = 2012, C = 0.70470, SL = 0.81424.
  EXPECT_EQ(f->agents, 2012);
  EXPECT_NEAR(f->wait_probability, 0.70470, 1e-5);
  EXPECT_NEAR(f->service_level, 0.81424, 1e-5);
  EXPECT_TRUE(std::isfinite(f->average_speed_of_answer_seconds));
  auto below = figuresFor(2011, 2000.0, 180, 20);
  ASSERT_TRUE(below.ok());
  EXPECT_LT(below->service_level, 0.8);
  auto huge = waitProbability(6000, 5990.0);
  ASSERT_TRUE(huge.ok());
  EXPECT_TRUE(std::isfinite(*huge));
  EXPECT_GT(*huge, 0.0);
  EXPECT_LT(*huge, 1.0);
}

TEST(ErlangCTest, NoForecastNeedsNoAgents) {
  auto f = agentsNeeded(0, 1800, 180, 0.8, 20);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->agents, 0);
  EXPECT_EQ(f->service_level, 1.0);
}

TEST(ErlangCTest, BadInputNamesTheField) {
  auto field = [](const Result<StaffingFigures>& r) { return r.ok() ? "" : r.error().field; };
  EXPECT_EQ(field(agentsNeeded(-1, 1800, 180, 0.8, 20)), "arrivals_per_interval");
  EXPECT_EQ(field(agentsNeeded(100, 0, 180, 0.8, 20)), "interval_seconds");
  EXPECT_EQ(field(agentsNeeded(100, 1800, 0, 0.8, 20)), "aht_seconds");
  EXPECT_EQ(field(agentsNeeded(100, 1800, -5, 0.8, 20)), "aht_seconds");
  EXPECT_EQ(field(agentsNeeded(100, 1800, 180, 0, 20)), "target_service_level");
  EXPECT_EQ(field(agentsNeeded(100, 1800, 180, 1, 20)), "target_service_level");
  EXPECT_EQ(field(agentsNeeded(100, 1800, 180, 1.5, 20)), "target_service_level");
  EXPECT_EQ(field(agentsNeeded(100, 1800, 180, 0.8, -1)), "target_answer_seconds");
  EXPECT_EQ(field(agentsNeeded(100, 1800, 180, 0.8, 20, 0.0)), "max_occupancy");
  EXPECT_EQ(field(agentsNeeded(100, 1800, 180, 0.8, 20, 1.2)), "max_occupancy");
  EXPECT_EQ(field(agentsNeeded(std::nan(""), 1800, 180, 0.8, 20)), "arrivals_per_interval");
  EXPECT_EQ(field(figuresFor(0, 10, 180, 20)), "agents");
  EXPECT_EQ(field(figuresFor(5, -1, 180, 20)), "traffic_erlangs");
  EXPECT_EQ(agentsNeeded(100, 1800, 180, 0.8, 20, 0.0).error().code, ErrorCode::InvalidArgument);
}

}  // namespace
}  // namespace kefu::acd::erlang
