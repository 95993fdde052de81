// The routing engine's timers: earliest first, and in scheduling order at one instant.

#include "acd/timer_queue.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace kefu::acd {
namespace {

struct Named {
  std::int64_t at_ms = 0;
  std::string name;
};

std::vector<std::string> popAll(TimerQueue<Named>& timers, std::int64_t now_ms) {
  std::vector<std::string> out;
  while (auto timer = timers.popDue(now_ms)) {
    out.push_back(timer->name);
  }
  return out;
}

TEST(TimerQueueTest, FiresWhatIsDueEarliestFirstAndFifoAtOneInstant) {
  TimerQueue<Named> timers;
  EXPECT_FALSE(timers.nextAt().has_value());
  timers.schedule({300, "late"});
  timers.schedule({100, "first at 100"});
  timers.schedule({200, "at 200"});
  timers.schedule({100, "second at 100"});
  EXPECT_EQ(timers.nextAt(), 100);
  EXPECT_EQ(popAll(timers, 99), std::vector<std::string>{});
  EXPECT_EQ(popAll(timers, 200),
            (std::vector<std::string>{"first at 100", "second at 100", "at 200"}));
  EXPECT_EQ(timers.nextAt(), 300);
  EXPECT_EQ(timers.size(), 1U);
  EXPECT_EQ(popAll(timers, 1000), std::vector<std::string>{"late"});
  EXPECT_FALSE(timers.nextAt().has_value());
}

}  // namespace
}  // namespace kefu::acd
