#include "core/event_loop.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace kefu {
namespace {

using namespace std::chrono_literals;

TEST(EventLoopTest, RunsPostedTasksInOrder) {
  SimulatedTime time;
  EventLoop loop(time);
  std::vector<int> ran;
  for (int i = 0; i < 5; ++i) {
    loop.post([&ran, i] { ran.push_back(i); });
  }
  EXPECT_EQ(loop.runReadyForTest(), 5u);
  EXPECT_EQ(ran, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(EventLoopTest, TimersFireOnlyWhenSimulatedTimeReachesThem) {
  SimulatedTime time;
  EventLoop loop(time);
  std::vector<std::string> fired;
  loop.postAfter(30s, [&] { fired.push_back("30s"); });
  loop.postAfter(10s, [&] { fired.push_back("10s"); });
  auto cancelled = loop.postAfter(20s, [&] { fired.push_back("20s"); });
  EXPECT_TRUE(loop.cancel(cancelled));
  EXPECT_FALSE(loop.cancel(cancelled));
  loop.runReadyForTest();
  EXPECT_TRUE(fired.empty());
  time.advance(10s);
  loop.runReadyForTest();
  EXPECT_EQ(fired, (std::vector<std::string>{"10s"}));
  time.advance(25s);
  loop.runReadyForTest();
  EXPECT_EQ(fired, (std::vector<std::string>{"10s", "30s"}));
}

TEST(EventLoopTest, TasksPostedFromOtherThreadsRunOnTheLoopThread) {
  RealTimeSource time;
  EventLoop loop(time);
  std::thread::id loop_thread;
  std::atomic<int> count{0};
  std::thread runner([&] {
    loop_thread = std::this_thread::get_id();
    loop.run();
  });
  std::vector<std::thread> posters;
  for (int t = 0; t < 4; ++t) {
    posters.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        loop.post([&] {
          EXPECT_TRUE(loop.isThisThread());
          count.fetch_add(1);
        });
      }
    });
  }
  for (auto& p : posters) {
    p.join();
  }
  loop.post([&] { loop.stop(); });
  runner.join();
  EXPECT_EQ(count.load(), 4000);
}

TEST(EventLoopTest, AStopBeforeRunIsNotLost) {
  RealTimeSource time;
  EventLoop loop(time);
  loop.stop();
  loop.run();  // returns at once instead of waiting forever
  SUCCEED();
}

TEST(EventLoopTest, RealTimerWakesTheLoop) {
  RealTimeSource time;
  EventLoop loop(time);
  bool fired = false;
  loop.postAfter(5ms, [&] {
    fired = true;
    loop.stop();
  });
  loop.run();
  EXPECT_TRUE(fired);
}

}  // namespace
}  // namespace kefu
