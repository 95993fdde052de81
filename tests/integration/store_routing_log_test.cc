// The routing event log as stored, on both backends: events come back in the order they were
// appended with every field, from a given time on.

#include <gtest/gtest.h>

#include "store/store.h"
#include "support/store_fixture.h"

namespace kefu::store {
namespace {

using test::Backend;

using StoreRoutingLogTest = test::StoreFixture;

acd::RoutingEvent event(acd::RoutingEventType type, std::int64_t at_ms, std::string interaction) {
  acd::RoutingEvent e;
  e.type = type;
  e.at_ms = at_ms;
  e.interaction_id = std::move(interaction);
  e.queue_id = "q_general";
  return e;
}

TEST_P(StoreRoutingLogTest, EventsComeBackInOrderWithEveryFieldFromTheirTime) {
  auto& log = store_->routingLog();
  std::vector<acd::RoutingEvent> first{event(acd::RoutingEventType::Offered, 1000, "i1")};
  acd::RoutingEvent overflow = event(acd::RoutingEventType::Overflowed, 2000, "i1");
  overflow.target = "cloud";
  overflow.reason = "wait";
  overflow.channel = acd::Channel::Chat;
  acd::RoutingEvent pause;
  pause.type = acd::RoutingEventType::AgentStateChanged;
  pause.at_ms = 2000;  // the same millisecond: the order of appending decides
  pause.agent_id = "ag_1";
  pause.state = acd::AgentState::NotReady;
  pause.reason = "break";
  std::vector<acd::RoutingEvent> second{overflow, pause,
                                        event(acd::RoutingEventType::Offered, 3000, "i2")};
  ASSERT_TRUE(log.append(first).ok());
  ASSERT_TRUE(log.append(second).ok());
  ASSERT_TRUE(log.append({}).ok());

  auto all = log.since(0);
  ASSERT_TRUE(all.ok()) << all.error().message;
  ASSERT_EQ(all->size(), 4u);
  EXPECT_EQ((*all)[0].type, acd::RoutingEventType::Offered);
  EXPECT_EQ((*all)[0].interaction_id, "i1");
  EXPECT_EQ((*all)[0].queue_id, "q_general");
  EXPECT_EQ((*all)[0].channel, acd::Channel::Voice);
  EXPECT_EQ((*all)[1].type, acd::RoutingEventType::Overflowed);
  EXPECT_EQ((*all)[1].target, "cloud");
  EXPECT_EQ((*all)[1].reason, "wait");
  EXPECT_EQ((*all)[1].channel, acd::Channel::Chat);
  EXPECT_EQ((*all)[2].type, acd::RoutingEventType::AgentStateChanged);
  EXPECT_EQ((*all)[2].agent_id, "ag_1");
  EXPECT_EQ((*all)[2].state, acd::AgentState::NotReady);
  EXPECT_EQ((*all)[2].reason, "break");
  EXPECT_EQ((*all)[3].interaction_id, "i2");
  EXPECT_EQ((*all)[3].at_ms, 3000);

  auto recent = log.since(2000);
  ASSERT_TRUE(recent.ok());
  ASSERT_EQ(recent->size(), 3u);
  EXPECT_EQ((*recent)[0].type, acd::RoutingEventType::Overflowed);
  auto none = log.since(3001);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_P(StoreRoutingLogTest, AnUnknownStoredTypeIsAnErrorNamingTheRow) {
  ASSERT_TRUE(
      store_
          ->execForTest("INSERT INTO routing_events (type, at_ms, interaction_id, queue_id, "
                        "agent_id, target, channel, state, reason) VALUES ('teleported', "
                        "5, 'i9', 'q', '', '', 'voice', 'logged_out', '')",
                        {})
          .ok());
  auto read = store_->routingLog().since(0);
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.error().message.find("routing event 1"), std::string::npos)
      << read.error().message;
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreRoutingLogTest,
                         testing::Values(Backend::Sqlite, Backend::Postgres), test::backendName);

}  // namespace
}  // namespace kefu::store
