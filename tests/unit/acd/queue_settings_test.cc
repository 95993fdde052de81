// A stored queue carries every routing setting: routing is built from it field by field, and one
// set of rules validates both, naming the field as the API (with `_ms`) or the engine spells it.

#include <gtest/gtest.h>

#include <functional>

#include "acd/agent.h"
#include "acd/queue_routing.h"

namespace kefu::acd {
namespace {

using namespace std::chrono_literals;

Queue settingsQueue() {
  Queue q;
  q.id = "q_sales";
  q.name = "sales";
  q.strategy = RoutingStrategy::RingAll;
  q.required_skills = {{"sk_billing", 7}};
  q.relaxation = {{20s, 4}, {40s, 1}};
  q.max_size = 12;
  q.overflow = {{.after_wait = 90s, .target = "q_backup"}, {.above_size = 10, .target = "cloud"}};
  q.wrap_up = 7s;
  q.alert_timeout = 9s;
  q.sticky_window = 33s;
  q.callback_timeout = 44s;
  q.short_abandon = 3s;
  q.callback_enabled = false;
  return q;
}

TEST(QueueSettingsTest, RoutingIsBuiltFromEveryStoredSetting) {
  const Queue q = settingsQueue();
  const QueueRouting r = routingOf(q);
  EXPECT_EQ(r.queue.id, "q_sales");
  EXPECT_EQ(r.queue.required_skills, q.required_skills);
  EXPECT_EQ(r.relaxation, q.relaxation);
  EXPECT_EQ(r.max_size, 12u);
  EXPECT_EQ(r.overflow, q.overflow);
  EXPECT_EQ(r.wrap_up, 7s);
  EXPECT_EQ(r.alert_timeout, 9s);
  EXPECT_EQ(r.sticky_window, 33s);
  EXPECT_EQ(r.callback_timeout, 44s);
  EXPECT_EQ(r.short_abandon, 3s);
  EXPECT_FALSE(r.callback_enabled);

  // And back: the engine's copy describes the same stored queue.
  const Queue back = queueOf(r);
  EXPECT_EQ(back.relaxation, q.relaxation);
  EXPECT_EQ(back.overflow, q.overflow);
  EXPECT_EQ(back.sticky_window, q.sticky_window);
  EXPECT_EQ(back.callback_enabled, q.callback_enabled);
}

TEST(QueueSettingsTest, DefaultsAreTheSameForAQueueAndItsRouting) {
  const Queue q;
  const QueueRouting r;
  EXPECT_EQ(q.alert_timeout, r.alert_timeout);
  EXPECT_EQ(q.callback_timeout, r.callback_timeout);
  EXPECT_EQ(q.short_abandon, r.short_abandon);
  EXPECT_EQ(q.wrap_up, r.wrap_up);
  EXPECT_EQ(q.sticky_window, r.sticky_window);
  EXPECT_EQ(q.max_size, r.max_size);
  EXPECT_EQ(q.callback_enabled, r.callback_enabled);
}

TEST(QueueSettingsTest, EachBrokenRuleNamesItsField) {
  ASSERT_TRUE(validate(settingsQueue()).ok());
  struct Case {
    std::function<void(Queue&)> breaks;
    std::string field;
  };
  const std::vector<Case> cases = {
      {[](Queue& q) {
         q.relaxation = {{0s, 3}};
       },
       "relaxation[0].after_ms"},
      {[](Queue& q) {
         q.relaxation = {{20s, 3}, {20s, 2}};
       },
       "relaxation[1].after_ms"},
      {[](Queue& q) {
         q.relaxation = {{20s, 0}};
       },
       "relaxation[0].min_level"},
      {[](Queue& q) {
         q.relaxation.assign(MaxQueueRules + 1, {1s, 1});
       },
       "relaxation"},
      {[](Queue& q) { q.max_size = MaxQueueSize + 1; }, "max_size"},
      {[](Queue& q) { q.overflow[1].target = ""; }, "overflow[1].target"},
      {[](Queue& q) { q.overflow[1].target = "q_sales"; }, "overflow[1].target"},
      {[](Queue& q) { q.overflow[0].target = "two words"; }, "overflow[0].target"},
      {[](Queue& q) { q.overflow[0].above_size = 3; }, "overflow[0]"},
      {[](Queue& q) { q.overflow[1].above_size = 0; }, "overflow[1]"},
      {[](Queue& q) { q.overflow[0].after_wait = 25h; }, "overflow[0].after_wait_ms"},
      {[](Queue& q) { q.wrap_up = -1ms; }, "wrap_up_ms"},
      {[](Queue& q) { q.alert_timeout = 0s; }, "alert_timeout_ms"},
      {[](Queue& q) { q.sticky_window = 24h + 1ms; }, "sticky_window_ms"},
      {[](Queue& q) { q.callback_timeout = 0s; }, "callback_timeout_ms"},
      {[](Queue& q) { q.short_abandon = -5s; }, "short_abandon_ms"},
  };
  for (const auto& test_case : cases) {
    Queue q = settingsQueue();
    test_case.breaks(q);
    auto valid = validate(q);
    ASSERT_FALSE(valid.ok()) << test_case.field;
    EXPECT_EQ(valid.error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(valid.error().field, test_case.field);

    // The engine applies the same rule to the same setting, named without the unit.
    auto routed = validate(routingOf(q));
    ASSERT_FALSE(routed.ok()) << test_case.field;
    std::string engine_field = test_case.field;
    if (engine_field.ends_with("_ms")) {
      engine_field.resize(engine_field.size() - 3);
    }
    EXPECT_EQ(routed.error().field, engine_field);
  }
  // A day exactly is allowed (a bench rings for that long).
  Queue day = settingsQueue();
  day.alert_timeout = 24h;
  EXPECT_TRUE(validate(day).ok());
}

TEST(QueueSettingsTest, ChatCapacityIsZeroToFifty) {
  Agent agent;
  agent.name = "Li";
  agent.extension = "1001";
  agent.sip_password = "secret-1001";
  EXPECT_EQ(agent.chat_capacity, DefaultChatCapacity);
  EXPECT_TRUE(validate(agent).ok());
  agent.chat_capacity = 0;
  EXPECT_TRUE(validate(agent).ok());
  agent.chat_capacity = MaxChatCapacity;
  EXPECT_TRUE(validate(agent).ok());
  for (int bad : {-1, MaxChatCapacity + 1}) {
    agent.chat_capacity = bad;
    auto valid = validate(agent);
    ASSERT_FALSE(valid.ok()) << bad;
    EXPECT_EQ(valid.error().field, "chat_capacity");
  }
}

}  // namespace
}  // namespace kefu::acd
