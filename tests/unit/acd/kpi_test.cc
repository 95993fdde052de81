#include "acd/kpi.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "routing_log_builders.h"

namespace kefu::acd {
namespace {

using Type = RoutingEventType;

using log_builders::ev;
using log_builders::Sec;
using log_builders::state;

// Records `log` and checks that a replay of it agrees with the live book.
FigureBook live(const std::vector<RoutingEvent>& log, const FigureRules& rules = {}) {
  FigureBook book(rules);
  for (const auto& e : log) {
    book.record(e);
  }
  EXPECT_EQ(figureDifferences(book, replay(log, rules), 0, 1'000'000 * Sec),
            std::vector<std::string>{});
  return book;
}

constexpr std::int64_t Day = 86'400 * Sec;

TEST(FigureBookTest, OneAnsweredCallGivesEveryFigure) {
  auto book = live({
      state(0, "a1", AgentState::Ready),
      ev(Type::Offered, 0, "i1", "q1"),
      ev(Type::Reserved, 8, "i1", "q1", "a1"),
      state(8, "a1", AgentState::Reserved),
      ev(Type::Answered, 10, "i1", "q1", "a1"),
      state(10, "a1", AgentState::Busy),
      ev(Type::Ended, 70, "i1", "q1", "a1"),
      state(70, "a1", AgentState::WrapUp),
      ev(Type::WrapUpEnded, 85, "i1", "q1", "a1"),
      state(85, "a1", AgentState::Ready),
      state(100, "a1", AgentState::LoggedOut),
  });
  const QueueFigures q = book.queueFigures("q1", 0, Day);
  EXPECT_EQ(q.offered, 1U);
  EXPECT_EQ(q.answered, 1U);
  EXPECT_EQ(q.answered_within_threshold, 1U);
  EXPECT_EQ(q.handled, 1U);
  EXPECT_EQ(q.serviceLevel(), 1.0);
  EXPECT_EQ(q.averageSpeedOfAnswerMs(), 10.0 * Sec);
  EXPECT_EQ(q.averageTalkMs(), 60.0 * Sec);
  EXPECT_EQ(q.averageHandleMs(), 75.0 * Sec);
  EXPECT_EQ(q.longest_wait_ms, 10 * Sec);
  EXPECT_EQ(q.abandonRate(), 0.0);

  const AgentFigures a = book.agentFigures("a1", 0, Day);
  EXPECT_EQ(a.reserved, 1U);
  EXPECT_EQ(a.answered, 1U);
  EXPECT_EQ(a.handled, 1U);
  EXPECT_EQ(a.talk_ms, 60 * Sec);
  EXPECT_EQ(a.wrap_up_ms, 15 * Sec);
  EXPECT_EQ(a.staffed_ms, 100 * Sec);
  EXPECT_EQ(a.working_ms, 75 * Sec);
  EXPECT_EQ(a.occupancy(), 0.75);
  EXPECT_EQ(book.ignoredEvents(), 0U);
  EXPECT_EQ(book.agentLive("a1").state, AgentState::LoggedOut);
}

TEST(FigureBookTest, ShortAbandonsStayOutOfServiceLevelAndAbandonRate) {
  const std::vector<RoutingEvent> log = {
      ev(Type::Offered, 0, "i1", "q1"),         ev(Type::Offered, 0, "i2", "q1"),
      ev(Type::Offered, 0, "i3", "q1"),         ev(Type::Offered, 0, "i4", "q1"),
      ev(Type::Abandoned, 3, "i2", "q1"),        // short: 3 s ≤ 5 s
      ev(Type::Answered, 10, "i1", "q1", "a1"),  // within 20 s
      ev(Type::Answered, 25, "i4", "q1", "a2"),  // beyond 20 s
      ev(Type::Abandoned, 30, "i3", "q1"),       // counts against the service level
  };
  const QueueFigures q = live(log).queueFigures("q1", 0, Day);
  EXPECT_EQ(q.offered, 4U);
  EXPECT_EQ(q.abandoned, 2U);
  EXPECT_EQ(q.short_abandoned, 1U);
  EXPECT_EQ(q.answered, 2U);
  EXPECT_EQ(q.answered_within_threshold, 1U);
  EXPECT_DOUBLE_EQ(*q.serviceLevel(), 1.0 / 3);  // 1 / (2 answered + 1 long abandon)
  EXPECT_DOUBLE_EQ(*q.abandonRate(), 1.0 / 3);   // 1 / (4 offered − 1 short)
  EXPECT_EQ(q.averageSpeedOfAnswerMs(), 17.5 * Sec);
  EXPECT_EQ(q.longest_wait_ms, 30 * Sec);

  // The thresholds are the site's: 30 s for this queue, 2 s short abandons.
  FigureRules rules;
  rules.service_level_ms_by_queue["q1"] = 30 * Sec;
  rules.short_abandon_ms = 2 * Sec;
  const QueueFigures strict = live(log, rules).queueFigures("q1", 0, Day);
  EXPECT_EQ(strict.short_abandoned, 0U);
  EXPECT_EQ(strict.answered_within_threshold, 2U);
  EXPECT_DOUBLE_EQ(*strict.serviceLevel(), 2.0 / 4);
}

TEST(FigureBookTest, OverflowIsOfferedOnceWhereFirstOffered) {
  auto book = live({
      ev(Type::Offered, 0, "i1", "q1"),
      ev(Type::Overflowed, 30, "i1", "q1", "", "q2"),
      ev(Type::Requeued, 30, "i1", "q2"),
      ev(Type::Answered, 35, "i1", "q2", "a1"),
      ev(Type::Ended, 95, "i1", "q2", "a1"),
      ev(Type::WrapUpEnded, 100, "i1", "q2", "a1"),
      // A second one moves on with Requeued alone: still an overflow, still offered once.
      ev(Type::Offered, 100, "i2", "q1"),
      ev(Type::Requeued, 140, "i2", "q2"),
      ev(Type::Abandoned, 150, "i2", "q2"),
  });
  const QueueFigures q1 = book.queueFigures("q1", 0, Day);
  const QueueFigures q2 = book.queueFigures("q2", 0, Day);
  EXPECT_EQ(q1.offered + q2.offered, 2U);
  EXPECT_EQ(q1.offered, 2U);
  EXPECT_EQ(q1.overflowed, 2U);
  EXPECT_EQ(q1.answered, 0U);
  EXPECT_EQ(q1.serviceLevel(), std::nullopt);
  EXPECT_EQ(q1.longest_wait_ms, 40 * Sec);
  EXPECT_EQ(q2.offered, 0U);
  EXPECT_EQ(q2.overflow_in, 2U);
  EXPECT_EQ(q2.answered, 1U);
  EXPECT_EQ(q2.averageSpeedOfAnswerMs(), 5.0 * Sec);  // waited in q2 from the Requeued
  EXPECT_EQ(q2.abandoned, 1U);                        // 10 s in q2: not short
  EXPECT_EQ(q2.handled, 1U);
  EXPECT_EQ(q2.averageHandleMs(), 65.0 * Sec);
  EXPECT_EQ(book.ignoredEvents(), 0U);
}

TEST(FigureBookTest, BlindTransferToAQueueSplitsHandleTimePerAgent) {
  auto book = live({
      ev(Type::Offered, 0, "i1", "q1"),
      ev(Type::Answered, 10, "i1", "q1", "a1"),
      ev(Type::Transferred, 70, "i1", "q1", "a1", "q2"),
      ev(Type::Requeued, 70, "i1", "q2"),
      ev(Type::WrapUpEnded, 75, "i1", "q1", "a1"),
      ev(Type::Answered, 80, "i1", "q2", "a2"),
      ev(Type::HoldStarted, 100, "i1", "q2", "a2"),
      ev(Type::HoldEnded, 120, "i1", "q2", "a2"),
      ev(Type::Ended, 160, "i1", "q2", "a2"),
      ev(Type::WrapUpEnded, 170, "i1", "q2", "a2"),
  });
  const QueueFigures q1 = book.queueFigures("q1", 0, Day);
  const QueueFigures q2 = book.queueFigures("q2", 0, Day);
  EXPECT_EQ(q1.offered, 1U);
  EXPECT_EQ(q2.offered, 0U);
  EXPECT_EQ(q1.transfers_out, 1U);
  EXPECT_EQ(q2.transfer_in, 1U);
  EXPECT_EQ(q2.overflow_in, 0U);
  EXPECT_EQ(q1.answered, 1U);
  EXPECT_EQ(q2.answered, 1U);
  EXPECT_EQ(q2.averageSpeedOfAnswerMs(), 10.0 * Sec);
  EXPECT_EQ(q1.averageHandleMs(), 65.0 * Sec);
  EXPECT_EQ(q2.averageHandleMs(), 90.0 * Sec);

  const AgentFigures a1 = book.agentFigures("a1", 0, Day);
  const AgentFigures a2 = book.agentFigures("a2", 0, Day);
  EXPECT_EQ(a1.transfers_out, 1U);
  EXPECT_EQ(a1.talk_ms, 60 * Sec);
  EXPECT_EQ(a1.wrap_up_ms, 5 * Sec);
  EXPECT_EQ(a1.averageHandleMs(), 65.0 * Sec);
  EXPECT_EQ(a2.talk_ms, 60 * Sec);
  EXPECT_EQ(a2.hold_ms, 20 * Sec);
  EXPECT_EQ(a2.wrap_up_ms, 10 * Sec);
  EXPECT_EQ(a2.averageHandleMs(), 90.0 * Sec);
  EXPECT_EQ(book.ignoredEvents(), 0U);
}

TEST(FigureBookTest, BlindTransferToAnAgentStaysOneInteractionOfTheQueue) {
  auto book = live({
      ev(Type::Offered, 0, "i1", "q1"),
      ev(Type::Answered, 10, "i1", "q1", "a1"),
      ev(Type::Transferred, 40, "i1", "q1", "a1", "a2"),
      ev(Type::Reserved, 40, "i1", "q1", "a2"),
      ev(Type::Answered, 45, "i1", "q1", "a2"),
      ev(Type::WrapUpEnded, 50, "i1", "q1", "a1"),
      ev(Type::Ended, 105, "i1", "q1", "a2"),
      ev(Type::WrapUpEnded, 110, "i1", "q1", "a2"),
  });
  const QueueFigures q = book.queueFigures("q1", 0, Day);
  EXPECT_EQ(q.offered, 1U);
  EXPECT_EQ(q.answered, 1U);  // the transfer's answer is not a second answer from the queue
  EXPECT_EQ(q.averageSpeedOfAnswerMs(), 10.0 * Sec);
  EXPECT_EQ(q.transfers_out, 1U);
  EXPECT_EQ(q.handled, 1U);
  EXPECT_EQ(q.talk_ms, (30 + 60) * Sec);
  EXPECT_EQ(q.averageHandleMs(), (30 + 10 + 60 + 5) * 1.0 * Sec);
  const AgentFigures a1 = book.agentFigures("a1", 0, Day);
  const AgentFigures a2 = book.agentFigures("a2", 0, Day);
  EXPECT_EQ(a1.averageHandleMs(), 40.0 * Sec);
  EXPECT_EQ(a2.transfers_in, 1U);
  EXPECT_EQ(a2.answered, 1U);
  EXPECT_EQ(a2.averageHandleMs(), 65.0 * Sec);
}

TEST(FigureBookTest, HoldAndWrapUpAreHandleTimeNotTalk) {
  auto book = live({
      ev(Type::Offered, 0, "i1", "q1"),
      ev(Type::Answered, 0, "i1", "q1", "a1"),
      ev(Type::HoldStarted, 10, "i1", "q1", "a1"),
      ev(Type::HoldEnded, 40, "i1", "q1", "a1"),
      ev(Type::HoldStarted, 90, "i1", "q1", "a1"),  // still on hold when the call ends
      ev(Type::Ended, 100, "i1", "q1", "a1"),
      ev(Type::WrapUpEnded, 110, "i1", "q1", "a1"),
  });
  const QueueFigures q = book.queueFigures("q1", 0, Day);
  EXPECT_EQ(q.talk_ms, 60 * Sec);
  EXPECT_EQ(q.hold_ms, 40 * Sec);
  EXPECT_EQ(q.wrap_up_ms, 10 * Sec);
  EXPECT_EQ(q.averageTalkMs(), 60.0 * Sec);
  EXPECT_EQ(q.averageHandleMs(), 110.0 * Sec);
  EXPECT_EQ(book.agentFigures("a1", 0, Day).averageHandleMs(), 110.0 * Sec);
}

TEST(FigureBookTest, AStateChangeEndsAWrapUpNoEventEnded) {
  auto book = live({
      state(0, "a1", AgentState::Busy), ev(Type::Offered, 0, "i1", "q1"),
      ev(Type::Answered, 0, "i1", "q1", "a1"), ev(Type::Ended, 50, "i1", "q1", "a1"),
      state(50, "a1", AgentState::WrapUp), state(62, "a1", AgentState::Ready),
      ev(Type::WrapUpEnded, 62, "i1", "q1", "a1"),  // after the state change: expected, no-op
  });
  EXPECT_EQ(book.queueFigures("q1", 0, Day).wrap_up_ms, 12 * Sec);
  EXPECT_EQ(book.agentFigures("a1", 0, Day).working_ms, 62 * Sec);
  EXPECT_EQ(book.agentLive("a1").interactions, 0U);
  EXPECT_EQ(book.ignoredEvents(), 0U);
}

TEST(FigureBookTest, OccupancyLeavesNotReadyTimeOut) {
  auto book = live({
      state(0, "a1", AgentState::Ready),
      ev(Type::Offered, 10, "i1", "q1"),
      ev(Type::Answered, 10, "i1", "q1", "a1"),
      state(10, "a1", AgentState::Busy),
      ev(Type::Ended, 70, "i1", "q1", "a1"),
      state(70, "a1", AgentState::WrapUp),
      ev(Type::WrapUpEnded, 80, "i1", "q1", "a1"),
      state(80, "a1", AgentState::Ready),
      state(100, "a1", AgentState::NotReady, "lunch"),
      state(400, "a1", AgentState::Ready),
      ev(Type::Offered, 420, "i2", "q1"),
      ev(Type::Answered, 420, "i2", "q1", "a1"),
      state(420, "a1", AgentState::Busy),
      ev(Type::Ended, 480, "i2", "q1", "a1"),
      state(480, "a1", AgentState::WrapUp),
      ev(Type::WrapUpEnded, 500, "i2", "q1", "a1"),
      state(500, "a1", AgentState::Ready),
      state(600, "a1", AgentState::LoggedOut),
  });
  const AgentFigures a = book.agentFigures("a1", 0, Day);
  EXPECT_EQ(a.staffed_ms, 300 * Sec);    // 0–100 and 400–600
  EXPECT_EQ(a.not_ready_ms, 300 * Sec);  // lunch
  EXPECT_EQ(a.working_ms, 150 * Sec);    // 10–80 and 420–500
  EXPECT_EQ(a.occupancy(), 0.5);
  // Within the lunch hour alone nothing was staffed: no occupancy rather than a division by 0.
  EXPECT_EQ(book.agentFigures("a1", 150 * Sec, 350 * Sec).occupancy(), std::nullopt);
  EXPECT_EQ(book.agentLive("a1").state, AgentState::LoggedOut);
}

TEST(FigureBookTest, FifteenMinuteIntervalsSplitAtTheBoundary) {
  auto book = live({
      state(0, "a1", AgentState::Ready),
      ev(Type::Offered, 100, "i2", "q1"),
      ev(Type::Abandoned, 140, "i2", "q1"),
      ev(Type::Offered, 840, "i1", "q1"),
      ev(Type::Answered, 850, "i1", "q1", "a1"),
      state(850, "a1", AgentState::Busy),
      ev(Type::Ended, 950, "i1", "q1", "a1"),
      state(950, "a1", AgentState::WrapUp),
      ev(Type::WrapUpEnded, 960, "i1", "q1", "a1"),
      state(960, "a1", AgentState::Ready),
      state(1800, "a1", AgentState::LoggedOut),
  });
  constexpr std::int64_t Quarter = 900 * Sec;
  const auto q = book.queueIntervals("q1", 100 * Sec, 1000 * Sec, Quarter);
  ASSERT_EQ(q.size(), 2U);
  EXPECT_EQ(q[0].start_ms, 0);
  EXPECT_EQ(q[1].start_ms, Quarter);
  EXPECT_EQ(q[0].figures.offered, 2U);
  EXPECT_EQ(q[0].figures.abandoned, 1U);
  EXPECT_EQ(q[0].figures.answered, 1U);
  EXPECT_EQ(q[0].figures.handled, 0U);  // its talk ended after the boundary
  EXPECT_EQ(q[0].figures.longest_wait_ms, 40 * Sec);
  EXPECT_EQ(q[1].figures.offered, 0U);
  EXPECT_EQ(q[1].figures.handled, 1U);
  EXPECT_EQ(q[1].figures.averageHandleMs(), 110.0 * Sec);
  EXPECT_EQ(q[0].figures, book.queueFigures("q1", 0, Quarter));

  const auto a = book.agentIntervals("a1", 0, 1800 * Sec, Quarter);
  ASSERT_EQ(a.size(), 2U);
  EXPECT_EQ(a[0].figures.staffed_ms, 900 * Sec);
  EXPECT_EQ(a[0].figures.working_ms, 50 * Sec);  // 850–900
  EXPECT_EQ(a[1].figures.working_ms, 60 * Sec);  // 900–960
  EXPECT_EQ(a[0].figures.answered, 1U);
  EXPECT_EQ(a[1].figures.handled, 1U);
  EXPECT_TRUE(book.queueIntervals("q1", 0, Quarter, 0).empty());

  // A long-running book forgets old intervals; the later ones stay exact.
  const QueueFigures second_queue = book.queueFigures("q1", Quarter, 2 * Quarter);
  const AgentFigures second_agent = book.agentFigures("a1", Quarter, 2 * Quarter);
  book.forgetBefore(Quarter);
  EXPECT_EQ(book.queueFigures("q1", Quarter, 2 * Quarter), second_queue);
  EXPECT_EQ(book.agentFigures("a1", Quarter, 2 * Quarter), second_agent);
  EXPECT_EQ(book.queueFigures("q1", 0, Quarter).offered, 0U);
}

TEST(FigureBookTest, CallbackWaitEndsAtConnectionAndStaysOutOfAsa) {
  FigureBook book;
  book.record(ev(Type::Offered, 0, "i1", "q1"));
  book.record(ev(Type::CallbackRequested, 30, "i1", "q1"));
  book.record(state(200, "a9", AgentState::Ready));
  EXPECT_EQ(book.queueLive("q1"),
            (QueueLive{.waiting = 1, .callbacks_pending = 1, .longest_wait_ms = 200 * Sec}));
  book.record(ev(Type::Reserved, 290, "i1", "q1", "a1"));
  book.record(ev(Type::CallbackConnected, 300, "i1", "q1", "a1"));
  book.record(ev(Type::Answered, 300, "i1", "q1", "a1"));  // confirms the callback
  book.record(ev(Type::Ended, 400, "i1", "q1", "a1"));
  book.record(ev(Type::WrapUpEnded, 410, "i1", "q1", "a1"));
  const QueueFigures q = book.queueFigures("q1", 0, Day);
  EXPECT_EQ(q.offered, 1U);
  EXPECT_EQ(q.callbacks_requested, 1U);
  EXPECT_EQ(q.callbacks_connected, 1U);
  EXPECT_EQ(q.answered, 0U);
  EXPECT_EQ(q.averageSpeedOfAnswerMs(), std::nullopt);
  EXPECT_EQ(q.averageCallbackWaitMs(), 300.0 * Sec);
  EXPECT_EQ(q.handled, 1U);
  EXPECT_EQ(q.averageHandleMs(), 110.0 * Sec);
  EXPECT_EQ(book.agentFigures("a1", 0, Day).answered, 1U);
  EXPECT_EQ(book.queueLive("q1"), QueueLive{});
  EXPECT_EQ(book.ignoredEvents(), 0U);
}

TEST(FigureBookTest, LiveLongestWaitFollowsTheQueue) {
  FigureBook book;
  book.record(ev(Type::Offered, 0, "i1", "q1"));
  book.record(ev(Type::Offered, 5, "i2", "q1"));
  book.record(ev(Type::Reserved, 12, "i1", "q1", "a1"));
  EXPECT_EQ(book.queueLive("q1").waiting, 2U);
  EXPECT_EQ(book.queueLive("q1").longest_wait_ms, 12 * Sec);
  book.record(ev(Type::NoAnswer, 20, "i1", "q1", "a1"));  // back in front: still waiting
  EXPECT_EQ(book.queueLive("q1").longest_wait_ms, 20 * Sec);
  book.record(ev(Type::Answered, 25, "i1", "q1", "a2"));
  EXPECT_EQ(book.queueLive("q1").waiting, 1U);
  EXPECT_EQ(book.queueLive("q1").longest_wait_ms, 20 * Sec);
  EXPECT_EQ(book.agentFigures("a1", 0, Day).no_answer, 1U);
  // The interval's longest wait includes i2, still waiting at the last event.
  EXPECT_EQ(book.queueFigures("q1", 0, Day).longest_wait_ms, 25 * Sec);
}

TEST(FigureBookTest, NonsenseIsCountedAndIgnored) {
  FigureBook book;
  book.record(ev(Type::Offered, 10, "i1", "q1"));
  const std::vector<RoutingEvent> nonsense = {
      ev(Type::Answered, 10, "ghost", "q1", "a1"),        // never offered
      ev(Type::Offered, 10, "i1", "q2"),                  // offered twice
      ev(Type::HoldEnded, 10, "i1", "q1", "a1"),          // nobody talking
      ev(Type::WrapUpEnded, 10, "i1", "q1", "a1"),        // before any talk
      ev(Type::Offered, 10, "", "q1"),                    // no interaction id
      ev(Type::Offered, 10, "i9", ""),                    // no queue
      ev(Type::CallbackConnected, 10, "i1", "q1", "a1"),  // no callback requested
      ev(Type::Answered, 10, "i1", "q1", ""),             // no agent
      ev(Type::Requeued, 10, "i1", "q1"),                 // into the queue it waits in
      ev(Type::Offered, 5, "i3", "q1"),                   // time ran backwards
      state(10, "", AgentState::Ready),                   // no agent
  };
  for (const auto& e : nonsense) {
    book.record(e);
  }
  EXPECT_EQ(book.ignoredEvents(), nonsense.size());
  EXPECT_FALSE(book.lastIgnoredReason().empty());
  // Talking, then more nonsense around a real conversation.
  book.record(ev(Type::Answered, 12, "i1", "q1", "a1"));
  book.record(ev(Type::Answered, 13, "i1", "q1", "a1"));  // answered twice
  book.record(ev(Type::Abandoned, 14, "i1", "q1"));       // a talk ends with Ended
  book.record(ev(Type::Requeued, 14, "i1", "q2"));        // no transfer, no overflow
  book.record(ev(Type::Overflowed, 14, "i1", "q1"));      // not waiting
  book.record(ev(Type::HoldStarted, 15, "i1", "q1", "a1"));
  book.record(ev(Type::HoldStarted, 16, "i1", "q1", "a1"));  // twice
  book.record(ev(Type::Ended, 20, "i1", "q1", "a1"));
  book.record(ev(Type::Ended, 21, "i1", "q1", "a1"));              // twice
  book.record(ev(Type::Transferred, 21, "i1", "q1", "a1", "q2"));  // after the end
  EXPECT_EQ(book.ignoredEvents(), nonsense.size() + 7);
  EXPECT_EQ(book.recordedEvents(), 1 + nonsense.size() + 10);

  const QueueFigures q = book.queueFigures("q1", 0, Day);
  EXPECT_EQ(q.offered, 1U);
  EXPECT_EQ(q.answered, 1U);
  EXPECT_EQ(q.abandoned, 0U);
  EXPECT_EQ(q.overflowed, 0U);
  EXPECT_EQ(q.talk_ms, 3 * Sec);
  EXPECT_EQ(q.hold_ms, 5 * Sec);
  EXPECT_EQ(book.queueFigures("q2", 0, Day), QueueFigures{});
}

TEST(FigureBookTest, ReplayFindsALiveBookThatMissedAnEvent) {
  const std::vector<RoutingEvent> log = {
      ev(Type::Offered, 0, "i1", "q1"),
      ev(Type::Answered, 4, "i1", "q1", "a1"),
      ev(Type::Ended, 64, "i1", "q1", "a1"),
      ev(Type::WrapUpEnded, 70, "i1", "q1", "a1"),
  };
  FigureBook missed;
  for (std::size_t i = 0; i + 1 < log.size(); ++i) {
    missed.record(log[i]);
  }
  const FigureBook replayed = replay(log);
  EXPECT_TRUE(figureDifferences(replayed, replay(log), 0, Day).empty());
  const auto differences = figureDifferences(missed, replayed, 0, Day);
  ASSERT_FALSE(differences.empty());
  EXPECT_EQ(differences.front(), "queue q1 wrap_up_ms: 0 != 6000");
}

// A log of many interactions with every outcome, interleaved in time as an engine would write it.
std::vector<RoutingEvent> randomLog(std::uint32_t seed, int interactions) {
  std::mt19937 rng(seed);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const std::vector<std::string> agents = {"a1", "a2", "a3", "a4"};
  std::vector<RoutingEvent> log;
  for (int n = 0; n < interactions; ++n) {
    const std::string id = "i" + std::to_string(n);
    std::string q = pick(0, 1) == 0 ? "q1" : "q2";
    const std::string other = q == "q1" ? "q2" : "q1";
    std::int64_t t = pick(0, 3600);
    log.push_back(ev(Type::Offered, t, id, q));
    auto talk = [&](const std::string& queue, const std::string& agent, bool end) {
      log.push_back(ev(Type::Answered, t, id, queue, agent));
      if (pick(0, 2) == 0) {
        log.push_back(ev(Type::HoldStarted, t += pick(1, 60), id, queue, agent));
        log.push_back(ev(Type::HoldEnded, t += pick(1, 60), id, queue, agent));
      }
      t += pick(1, 300);
      if (end) {
        log.push_back(ev(Type::Ended, t, id, queue, agent));
        log.push_back(ev(Type::WrapUpEnded, t + pick(0, 30), id, queue, agent));
      }
    };
    const std::string agent = agents[pick(0, 3)];
    switch (pick(0, 4)) {
      case 0:
        log.push_back(ev(Type::Abandoned, t += pick(0, 60), id, q));
        break;
      case 1:
        log.push_back(ev(Type::Reserved, t += pick(0, 60), id, q, agent));
        if (pick(0, 1) == 0) {
          log.push_back(ev(Type::NoAnswer, t += pick(5, 15), id, q, agent));
        }
        talk(q, agent, true);
        break;
      case 2:
        log.push_back(ev(Type::Overflowed, t += pick(0, 60), id, q, "", other));
        if (pick(0, 3) == 0) {
          break;  // to an external pool: it never comes back
        }
        log.push_back(ev(Type::Requeued, t, id, other));
        talk(other, agent, true);
        break;
      case 3:
        log.push_back(ev(Type::CallbackRequested, t += pick(0, 60), id, q));
        log.push_back(ev(Type::CallbackConnected, t += pick(60, 900), id, q, agent));
        talk(q, agent, true);
        break;
      default: {
        talk(q, agent, false);
        log.push_back(ev(Type::Transferred, t, id, q, agent, other));
        log.push_back(ev(Type::WrapUpEnded, t + pick(0, 30), id, q, agent));
        log.push_back(ev(Type::Requeued, t, id, other));
        t += pick(0, 40);
        // Another agent: the engine offers nothing to an agent still in wrap-up.
        talk(other,
             agents[(std::find(agents.begin(), agents.end(), agent) - agents.begin() + pick(1, 3)) %
                    agents.size()],
             true);
      }
    }
  }
  std::stable_sort(log.begin(), log.end(),
                   [](const RoutingEvent& l, const RoutingEvent& r) { return l.at_ms < r.at_ms; });
  return log;
}

TEST(FigureBookTest, RandomLogsBalanceAndAddUpAcrossIntervals) {
  for (std::uint32_t seed = 1; seed <= 20; ++seed) {
    constexpr int Interactions = 300;
    const FigureBook book = live(randomLog(seed, Interactions));
    ASSERT_EQ(book.ignoredEvents(), 0U) << "seed " << seed << ": " << book.lastIgnoredReason();
    std::uint64_t offered = 0;
    std::int64_t queue_handle_ms = 0;
    std::int64_t agent_handle_ms = 0;
    for (const std::string& q : book.queueIds()) {
      const QueueFigures f = book.queueFigures(q, 0, Day);
      offered += f.offered;
      queue_handle_ms += f.talk_ms + f.hold_ms + f.wrap_up_ms;
      // Everything that entered the queue left it one way, or is still there.
      EXPECT_EQ(f.offered + f.overflow_in + f.transfer_in, f.answered + f.abandoned + f.overflowed +
                                                               f.callbacks_connected +
                                                               book.queueLive(q).waiting)
          << "seed " << seed << " " << q;
      EXPECT_LE(f.answered_within_threshold, f.answered);
      // Fifteen-minute intervals add up to the whole day.
      QueueFigures sum;
      for (const auto& i : book.queueIntervals(q, 0, Day, 900 * Sec)) {
        sum.offered += i.figures.offered;
        sum.answered += i.figures.answered;
        sum.abandoned += i.figures.abandoned;
        sum.handled += i.figures.handled;
        sum.talk_ms += i.figures.talk_ms;
        sum.wrap_up_ms += i.figures.wrap_up_ms;
      }
      EXPECT_EQ(sum.offered, f.offered);
      EXPECT_EQ(sum.answered, f.answered);
      EXPECT_EQ(sum.abandoned, f.abandoned);
      EXPECT_EQ(sum.handled, f.handled);
      EXPECT_EQ(sum.talk_ms, f.talk_ms);
      EXPECT_EQ(sum.wrap_up_ms, f.wrap_up_ms);
    }
    EXPECT_EQ(offered, static_cast<std::uint64_t>(Interactions)) << "seed " << seed;
    for (const std::string& a : book.agentIds()) {
      const AgentFigures f = book.agentFigures(a, 0, Day);
      agent_handle_ms += f.talk_ms + f.hold_ms + f.wrap_up_ms;
      EXPECT_EQ(book.agentLive(a).interactions, 0U);
    }
    EXPECT_EQ(agent_handle_ms, queue_handle_ms) << "seed " << seed;
  }
}

}  // namespace
}  // namespace kefu::acd
