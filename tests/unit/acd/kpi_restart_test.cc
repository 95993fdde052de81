// A site that stops (or dies) leaves interactions and agents' sessions open in its routing log;
// when it starts again it replays the stored log and closes them, so the figures go on from what
// really happened and nothing stays "waiting" or "ready" forever.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "acd/kpi.h"
#include "routing_log_builders.h"

namespace kefu::acd {
namespace {

using Type = RoutingEventType;

using log_builders::ev;
using log_builders::Sec;
using log_builders::state;

constexpr std::int64_t Day = 86'400 * Sec;

// At 100 s: i1 waits in q1, i2 talks with a1, i3 is in a2's wrap-up, i4 left for the cloud pool;
// a3 is not ready, a4 logged out.
std::vector<RoutingEvent> openLog() {
  return {
      state(0, "a1", AgentState::Ready),
      state(0, "a2", AgentState::Ready),
      state(0, "a3", AgentState::Ready),
      state(0, "a4", AgentState::Ready),
      ev(Type::Offered, 10, "i2", "q1"),
      ev(Type::Reserved, 12, "i2", "q1", "a1"),
      state(12, "a1", AgentState::Reserved),
      ev(Type::Answered, 15, "i2", "q1", "a1"),
      state(15, "a1", AgentState::Busy),
      ev(Type::Offered, 20, "i3", "q1"),
      ev(Type::Reserved, 21, "i3", "q1", "a2"),
      state(21, "a2", AgentState::Reserved),
      ev(Type::Answered, 22, "i3", "q1", "a2"),
      state(22, "a2", AgentState::Busy),
      ev(Type::Ended, 60, "i3", "q1", "a2"),
      state(60, "a2", AgentState::WrapUp),
      ev(Type::Offered, 70, "i4", "q1"),
      [] {
        auto e = ev(Type::Overflowed, 80, "i4", "q1");
        e.target = "cloud";
        return e;
      }(),
      state(85, "a3", AgentState::NotReady, "break"),
      state(90, "a4", AgentState::LoggedOut),
      ev(Type::Offered, 95, "i1", "q1"),
  };
}

TEST(FigureBookRestartTest, ClosingEventsEndWhatTheLogLeftOpen) {
  FigureBook book;
  for (const auto& e : openLog()) {
    book.record(e);
  }
  const auto closing = book.closingEvents(100 * Sec, "site_restart");
  std::vector<std::string> seen;
  for (const auto& e : closing) {
    EXPECT_EQ(e.at_ms, 100 * Sec);
    EXPECT_EQ(e.reason, "site_restart");
    seen.push_back(std::string(toString(e.type)) + " " +
                   (e.type == Type::AgentStateChanged
                        ? e.agent_id + " " + std::string(toString(e.state))
                        : e.interaction_id));
  }
  // Interactions first (sorted by id), then the agents: the log-outs end a2's wrap-up.
  EXPECT_EQ(seen, (std::vector<std::string>{
                      "abandoned i1", "ended i2", "agent_state_changed a1 logged_out",
                      "agent_state_changed a2 logged_out", "agent_state_changed a3 logged_out"}));
  for (const auto& e : closing) {
    book.record(e);
  }
  EXPECT_EQ(book.ignoredEvents(), 0u) << book.lastIgnoredReason();
  EXPECT_TRUE(book.closingEvents(101 * Sec, "again").empty()) << "nothing is left open";
  EXPECT_EQ(book.queueLive("q1").waiting, 0u);
  for (const char* agent : {"a1", "a2", "a3", "a4"}) {
    EXPECT_EQ(book.agentLive(agent).state, AgentState::LoggedOut) << agent;
  }

  const QueueFigures q = book.queueFigures("q1", 0, Day);
  EXPECT_EQ(q.offered, 4u);
  EXPECT_EQ(q.answered, 2u);
  EXPECT_EQ(q.abandoned, 1u) << "the caller waiting when the site stopped was not served";
  EXPECT_EQ(q.overflowed, 1u);
  EXPECT_EQ(q.handled, 2u);
  const AgentFigures a1 = book.agentFigures("a1", 0, Day);
  EXPECT_EQ(a1.talk_ms, 85 * Sec) << "the talk ends when the site stopped";
  EXPECT_EQ(a1.staffed_ms, 100 * Sec);
  const AgentFigures a2 = book.agentFigures("a2", 0, Day);
  EXPECT_EQ(a2.wrap_up_ms, 40 * Sec);
  const AgentFigures a3 = book.agentFigures("a3", 0, Day);
  EXPECT_EQ(a3.not_ready_ms, 15 * Sec);
  EXPECT_EQ(a3.staffed_ms, 85 * Sec);
}

TEST(FigureBookRestartTest, AReplayedLogWithItsClosingEventsAgreesWithTheLiveBook) {
  // The live book closes at stop and the closing events are stored with the log; a book rebuilt
  // from that stored log has the same figures and, closing again, finds nothing open.
  auto log = openLog();
  FigureBook live;
  for (const auto& e : log) {
    live.record(e);
  }
  for (const auto& e : live.closingEvents(100 * Sec, "site_stop")) {
    live.record(e);
    log.push_back(e);
  }
  const FigureBook rebuilt = replay(log);
  EXPECT_EQ(figureDifferences(live, rebuilt, 0, Day), std::vector<std::string>{});
  EXPECT_TRUE(rebuilt.closingEvents(200 * Sec, "site_restart").empty());
}

TEST(FigureBookRestartTest, AnEmptyOrClosedBookHasNothingToClose) {
  FigureBook book;
  EXPECT_TRUE(book.closingEvents(0, "site_restart").empty());
  book.record(state(0, "a1", AgentState::Ready));
  book.record(state(5, "a1", AgentState::LoggedOut));
  EXPECT_TRUE(book.closingEvents(10 * Sec, "site_restart").empty());
}

}  // namespace
}  // namespace kefu::acd
