// FigureBook intervals on the wall clock: the log's times are monotonic, the intervals a
// supervisor asks for are real quarter hours.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "acd/kpi.h"

namespace kefu::acd {
namespace {

using Type = RoutingEventType;

constexpr std::int64_t Sec = 1000;
constexpr std::int64_t Min = 60 * Sec;
constexpr std::int64_t Quarter = 15 * Min;
// 2026-11-24 10:07:00 UTC in Unix ms: the wall-clock time of the log's 0.
constexpr std::int64_t TenOhSeven = 1'795'514'820'000;

RoutingEvent offered(std::int64_t at_ms, std::string interaction) {
  RoutingEvent e;
  e.type = Type::Offered;
  e.at_ms = at_ms;
  e.interaction_id = std::move(interaction);
  e.queue_id = "q1";
  return e;
}

TEST(FigureBookWallClockTest, IntervalsStartOnWallClockQuarterHours) {
  ASSERT_EQ(TenOhSeven % Quarter, 7 * Min);
  FigureBook book;
  book.setWallClockOffset(TenOhSeven);
  book.record(offered(7 * Min, "i1"));  // 10:14
  book.record(offered(9 * Min, "i2"));  // 10:16
  book.record(offered(9 * Min, "i3"));  // 10:16
  const auto intervals = book.queueIntervals("q1", 0, 30 * Min, Quarter);
  ASSERT_EQ(intervals.size(), 3U);  // 10:00, 10:15, 10:30
  std::vector<std::int64_t> wall_starts;
  std::vector<std::uint64_t> offered_counts;
  for (const auto& i : intervals) {
    wall_starts.push_back(i.start_ms + book.wallClockOffsetMs());
    offered_counts.push_back(i.figures.offered);
  }
  const std::int64_t ten = TenOhSeven - 7 * Min;
  EXPECT_EQ(wall_starts, (std::vector<std::int64_t>{ten, ten + Quarter, ten + 2 * Quarter}));
  EXPECT_EQ(offered_counts, (std::vector<std::uint64_t>{1, 2, 0}));
}

TEST(FigureBookWallClockTest, WithoutAnOffsetIntervalsFollowTheLogsOwnMultiples) {
  FigureBook book;
  book.record(offered(7 * Min, "i1"));
  book.record(offered(9 * Min, "i2"));
  const auto intervals = book.queueIntervals("q1", 0, 30 * Min, Quarter);
  ASSERT_EQ(intervals.size(), 2U);
  EXPECT_EQ(intervals[0].start_ms, 0);
  EXPECT_EQ(intervals[0].figures.offered, 2U);
}

TEST(FigureBookWallClockTest, AgentIntervalsAlignTheSameWay) {
  FigureBook book;
  book.setWallClockOffset(TenOhSeven);
  RoutingEvent ready;
  ready.type = Type::AgentStateChanged;
  ready.at_ms = 0;  // 10:07
  ready.agent_id = "a1";
  ready.state = AgentState::Ready;
  book.record(ready);
  RoutingEvent out = ready;
  out.at_ms = 20 * Min;  // 10:27
  out.state = AgentState::LoggedOut;
  book.record(out);
  const auto intervals = book.agentIntervals("a1", 0, 20 * Min, Quarter);
  ASSERT_EQ(intervals.size(), 2U);
  EXPECT_EQ(intervals[0].figures.staffed_ms, 8 * Min);   // 10:07–10:15
  EXPECT_EQ(intervals[1].figures.staffed_ms, 12 * Min);  // 10:15–10:27
}

}  // namespace
}  // namespace kefu::acd
