#include <gtest/gtest.h>

#include <atomic>
#include <set>

#include "core/blocking_pool.h"
#include "core/event_bus.h"
#include "core/id.h"
#include "core/result.h"

namespace kefu {
namespace {

Result<int> half(int n) {
  if (n % 2 != 0) {
    return Error::invalid("n", "must be even");
  }
  return n / 2;
}

Result<int> quarter(int n) {
  auto h = half(n);
  KEFU_TRY(h);
  return half(*h);
}

TEST(ResultTest, CarriesValueOrError) {
  EXPECT_EQ(*quarter(8), 2);
  auto bad = quarter(6);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::InvalidArgument);
  EXPECT_EQ(bad.error().field, "n");
}

TEST(IdTest, IdsArePrefixedUniqueAndSortByTime) {
  SimulatedTime time;
  std::set<std::string> seen;
  std::string previous;
  for (int i = 0; i < 1000; ++i) {
    auto id = newId("ag", time);
    ASSERT_EQ(id.size(), 3u + 26u);
    EXPECT_EQ(id.substr(0, 3), "ag_");
    EXPECT_TRUE(seen.insert(id).second);
    if (!previous.empty()) {
      // The first 10 base32 digits are the millisecond timestamp.
      EXPECT_LT(previous.substr(3, 10), id.substr(3, 10));
    }
    previous = id;
    time.advance(std::chrono::milliseconds(1));
  }
}

TEST(BlockingPoolTest, RunsEveryTaskAndDrainsOnShutdown) {
  std::atomic<int> done{0};
  {
    BlockingPool pool(3);
    for (int i = 0; i < 500; ++i) {
      pool.submit([&] { done.fetch_add(1); });
    }
    pool.shutdown();
    EXPECT_EQ(done.load(), 500);
    pool.submit([&] { done.fetch_add(1); });  // after shutdown: runs on the caller
    EXPECT_EQ(done.load(), 501);
  }
}

TEST(EventBusTest, DeliversInSequenceToEverySubscriberUntilUnsubscribed) {
  EventBus bus;
  std::vector<std::uint64_t> a, b;
  auto ida = bus.subscribe([&](const DomainEventPtr& e) { a.push_back(e->sequence); });
  bus.subscribe([&](const DomainEventPtr& e) { b.push_back(e->sequence); });
  bus.publish({0, "agent.created", "ag_1", 1, "{}"});
  bus.publish({0, "agent.updated", "ag_1", 2, "{}"});
  bus.unsubscribe(ida);
  bus.publish({0, "agent.deleted", "ag_1", 3, "{}"});
  EXPECT_EQ(a, (std::vector<std::uint64_t>{1, 2}));
  EXPECT_EQ(b, (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_EQ(bus.subscriberCount(), 1u);
}

}  // namespace
}  // namespace kefu
