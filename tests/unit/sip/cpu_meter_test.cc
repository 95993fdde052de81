// The CPU meter that decides when new INVITEs are refused: usage over a sliding window as a
// share of all cores, judged only over a whole window, with hysteresis so admission does not
// flap around the budget. Samples are made up: no real clock.

#include "sip/cpu_meter.h"

#include <gtest/gtest.h>

namespace kefu::sip {
namespace {

using namespace std::chrono_literals;

// Feeds samples every `step` in which the process used `busy_percent` of `cores` cores.
class Feeder {
 public:
  Feeder(CpuMeter& meter, unsigned cores) : meter_(meter), cores_(cores) {
    meter_.add(CpuSample{cpu_, wall_});  // the reading taken when the meter starts
  }
  // @return how many samples changed the state.
  int run(double busy_percent, std::chrono::milliseconds duration,
          std::chrono::milliseconds step = 250ms) {
    int changes = 0;
    for (auto t = 0ms; t < duration; t += step) {
      wall_ += step;
      cpu_ += std::chrono::nanoseconds(
          static_cast<int64_t>(static_cast<double>(std::chrono::nanoseconds(step).count()) *
                               cores_ * busy_percent / 100.0));
      changes += meter_.add(CpuSample{cpu_, wall_}) ? 1 : 0;
    }
    return changes;
  }

 private:
  CpuMeter& meter_;
  unsigned cores_;
  std::chrono::nanoseconds cpu_{5s};  // running totals start anywhere
  std::chrono::nanoseconds wall_{1000s};
};

TEST(CpuMeterTest, UsageIsAShareOfAllCores) {
  CpuMeter meter({.budget_percent = 85, .cores = 2, .window = 1s});
  Feeder feed(meter, 2);
  feed.run(40, 2s);
  EXPECT_NEAR(meter.usagePercent(), 40.0, 0.5);
  EXPECT_FALSE(meter.overloaded());
}

TEST(CpuMeterTest, OverloadedAboveTheBudgetAndBackOnlyBelowTheResumeLevel) {
  CpuMeter meter({.budget_percent = 80, .cores = 2, .window = 1s, .resume_ratio = 0.9});
  Feeder feed(meter, 2);
  feed.run(50, 2s);
  ASSERT_FALSE(meter.overloaded());
  EXPECT_EQ(feed.run(95, 2s), 1);
  EXPECT_TRUE(meter.overloaded());
  // Between the resume level (72 %) and the budget: still overloaded, no flapping.
  EXPECT_EQ(feed.run(76, 3s), 0);
  EXPECT_TRUE(meter.overloaded());
  EXPECT_EQ(feed.run(60, 2s), 1);
  EXPECT_FALSE(meter.overloaded());
  // And back under the budget but above the resume level: not overloaded again.
  EXPECT_EQ(feed.run(78, 3s), 0);
  EXPECT_FALSE(meter.overloaded());
}

TEST(CpuMeterTest, ASpikeShorterThanTheWindowIsSmoothedAway) {
  CpuMeter meter({.budget_percent = 85, .cores = 2, .window = 2s});
  Feeder feed(meter, 2);
  feed.run(50, 4s);
  feed.run(100, 500ms);  // a quarter of the window at full load: 62.5 % on average
  EXPECT_FALSE(meter.overloaded());
  EXPECT_NEAR(meter.usagePercent(), 62.5, 1.0);
}

TEST(CpuMeterTest, JudgesOnlyAWholeWindow) {
  CpuMeter meter({.budget_percent = 50, .cores = 1, .window = 1s});
  Feeder feed(meter, 1);
  feed.run(100, 750ms);  // start-up work: busy, but less than a window has been seen
  EXPECT_FALSE(meter.overloaded());
  EXPECT_GT(meter.usagePercent(), 90.0);
  feed.run(100, 250ms);
  EXPECT_TRUE(meter.overloaded());
}

TEST(CpuMeterTest, ZeroBudgetIsOff) {
  CpuMeter meter({.budget_percent = 0, .cores = 1, .window = 1s});
  Feeder feed(meter, 1);
  EXPECT_EQ(feed.run(100, 3s), 0);
  EXPECT_FALSE(meter.overloaded());
  EXPECT_NEAR(meter.usagePercent(), 100.0, 0.5);
}

TEST(CpuMeterTest, SamplesGoingBackInTimeAreIgnored) {
  CpuMeter meter({.budget_percent = 50, .cores = 1, .window = 1s});
  EXPECT_FALSE(meter.add(CpuSample{10s, 100s}));
  EXPECT_FALSE(meter.add(CpuSample{10s + 100ms, 101s}));
  EXPECT_NEAR(meter.usagePercent(), 10.0, 0.1);
  EXPECT_FALSE(meter.add(CpuSample{20s, 50s}));  // a clock jump backwards
  EXPECT_NEAR(meter.usagePercent(), 10.0, 0.1);
  EXPECT_FALSE(meter.overloaded());
}

}  // namespace
}  // namespace kefu::sip
