// Call records as stored, on both backends: a call's events come back in order with their
// quality, calls are listed by creation time, and the caller (a customer's phone number) is kept
// only as the site's residency policy allows: sealed where there is a key, in clear on a site that
// may hold it, and otherwise not at all, its token standing in.

#include <gtest/gtest.h>

#include <filesystem>

#include "privacy/field_cipher.h"
#include "privacy/key_ring.h"
#include "privacy/tokenizer.h"
#include "store/store.h"
#include "support/site_fixture.h"

namespace kefu::store {
namespace {

using test::Backend;

constexpr const char* Phone = "+8613812345678";
constexpr std::int64_t Now = 1'000'000'000;  // after every call of these tests

#define ASSERT_OK(expr)                                          \
  do {                                                           \
    auto&& r_ = (expr);                                          \
    ASSERT_TRUE(r_.ok()) << #expr << ": " << r_.error().message; \
  } while (false)

class StoreCallRecordTest : public testing::TestWithParam<Backend> {
 protected:
  void SetUp() override { url_ = test::freshStorageUrl(GetParam()); }

  void TearDown() override {
    store_.reset();
    if (url_.starts_with("sqlite:")) {
      std::filesystem::remove_all(std::filesystem::path(url_.substr(7)).parent_path());
    }
  }

  Store& open(const StoreOptions& options = {}) {
    store_.reset();
    auto opened = openStore(url_, options);
    EXPECT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(opened).value();
    auto migrated = store_->migrate();
    EXPECT_TRUE(migrated.ok()) << migrated.error().message;
    return *store_;
  }

  static call::CallEvent event(const std::string& call_id, call::CallEventType type,
                               std::int64_t at_ms) {
    call::CallEvent e;
    e.type = type;
    e.at_ms = at_ms;
    e.call_id = call_id;
    e.caller = Phone;
    e.dialed = "8000";
    e.entry_point_id = "ep_1";
    return e;
  }

  /** @return how many call_events rows match `where` (counted as the rows an update touches). */
  std::int64_t rowsWhere(const std::string& where, const std::vector<std::string>& params) {
    auto touched =
        store_->execForTest("UPDATE call_events SET detail = detail WHERE " + where, params);
    EXPECT_TRUE(touched.ok()) << touched.error().message;
    return touched.ok() ? *touched : -1;
  }

  std::string url_;
  StorePtr store_;
};

TEST_P(StoreCallRecordTest, ACallsEventsComeBackInOrderWithEveryField) {
  Store& store = open();
  auto created = event("call-1", call::CallEventType::Created, 1000);
  auto ringing = event("call-1", call::CallEventType::Ringing, 1500);
  ringing.queue_id = "q_sales";
  ringing.agent_id = "ag_1";
  ringing.target = "extension:1001";
  auto answered = event("call-1", call::CallEventType::Answered, 1500);  // same millisecond
  answered.agent_id = "ag_1";
  answered.quality = call::CallQuality{4.2, 0.5, 12.25, std::nullopt};
  auto dtmf = event("call-1", call::CallEventType::Dtmf, 2000);
  dtmf.detail = "#";
  dtmf.cause = "rfc4733";
  auto ended = event("call-1", call::CallEventType::Ended, 9000);
  ended.cause = "caller_hangup";
  ended.quality = call::CallQuality{3.9, 1.75, 20.5, 48.0};
  for (const auto& e : {created, ringing, answered, dtmf, ended}) {
    ASSERT_OK(store.callRecords().append(e));
  }
  ASSERT_OK(store.callRecords().append(event("call-2", call::CallEventType::Created, 1200)));

  auto events = store.callRecords().eventsOf("call-1");
  ASSERT_OK(events);
  ASSERT_EQ(events->size(), 5u);
  const std::vector<call::CallEventType> types{
      call::CallEventType::Created, call::CallEventType::Ringing, call::CallEventType::Answered,
      call::CallEventType::Dtmf, call::CallEventType::Ended};
  for (std::size_t i = 0; i < types.size(); ++i) {
    EXPECT_EQ((*events)[i].type, types[i]) << i;
    EXPECT_EQ((*events)[i].caller, Phone) << i;
    EXPECT_EQ((*events)[i].dialed, "8000") << i;
    EXPECT_EQ((*events)[i].entry_point_id, "ep_1") << i;
  }
  EXPECT_EQ((*events)[1].target, "extension:1001");
  EXPECT_EQ((*events)[1].queue_id, "q_sales");
  EXPECT_EQ((*events)[1].agent_id, "ag_1");
  EXPECT_FALSE((*events)[1].quality.has_value());
  ASSERT_TRUE((*events)[2].quality.has_value());
  EXPECT_DOUBLE_EQ((*events)[2].quality->mos, 4.2);
  EXPECT_FALSE((*events)[2].quality->round_trip_ms.has_value());
  EXPECT_EQ((*events)[3].detail, "#");
  EXPECT_EQ((*events)[3].cause, "rfc4733");
  EXPECT_EQ((*events)[4].at_ms, 9000);
  EXPECT_EQ((*events)[4].cause, "caller_hangup");
  ASSERT_TRUE((*events)[4].quality.has_value());
  EXPECT_DOUBLE_EQ((*events)[4].quality->loss_pct, 1.75);
  EXPECT_DOUBLE_EQ((*events)[4].quality->jitter_ms, 20.5);
  EXPECT_EQ((*events)[4].quality->round_trip_ms, 48.0);

  EXPECT_TRUE(store.callRecords().eventsOf("call-unknown")->empty());
  auto no_id = store.callRecords().append(event("", call::CallEventType::Created, 1));
  ASSERT_FALSE(no_id.ok());
  EXPECT_EQ(no_id.error().field, "call_id");
}

TEST_P(StoreCallRecordTest, CallsAreListedByCreationTimeNewestFirstWithinTheWindow) {
  Store& store = open();
  // Five calls created at 1000, 2000, … 5000; each has a later event too.
  for (int i = 1; i <= 5; ++i) {
    const std::string id = "call-" + std::to_string(i);
    ASSERT_OK(store.callRecords().append(event(id, call::CallEventType::Created, i * 1000)));
  }
  for (int i = 1; i <= 5; ++i) {
    const std::string id = "call-" + std::to_string(i);
    ASSERT_OK(store.callRecords().append(event(id, call::CallEventType::Ended, 10'000 + i)));
  }

  auto window = store.callRecords().calls(2000, 5000, 10);  // [2000, 5000)
  ASSERT_OK(window);
  ASSERT_EQ(window->size(), 3u);
  EXPECT_EQ((*window)[0][0].call_id, "call-4");
  EXPECT_EQ((*window)[1][0].call_id, "call-3");
  EXPECT_EQ((*window)[2][0].call_id, "call-2");
  for (const auto& events : *window) {
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].type, call::CallEventType::Created);
    EXPECT_EQ(events[1].type, call::CallEventType::Ended);
  }

  auto limited = store.callRecords().calls(0, 100'000, 2);
  ASSERT_OK(limited);
  ASSERT_EQ(limited->size(), 2u);
  EXPECT_EQ((*limited)[0][0].call_id, "call-5");
  EXPECT_EQ((*limited)[1][0].call_id, "call-4");

  // The window is about creation: calls ended in it but created before are not in it.
  EXPECT_TRUE(store.callRecords().calls(10'000, 20'000, 10)->empty());
}

TEST_P(StoreCallRecordTest, AnEdgeSiteKeepsOnlyTheCallersToken) {
  auto ring = privacy::KeyRing::generate();
  StoreOptions options;
  options.residency = {privacy::SiteKind::Edge, {}};
  options.tokenizer = std::make_shared<privacy::Tokenizer>(ring.tokenKey());
  Store& store = open(options);
  ASSERT_OK(store.callRecords().append(event("call-1", call::CallEventType::Created, 1000)));

  const std::string token = *options.tokenizer->phoneToken(Phone);
  EXPECT_EQ(rowsWhere("caller IS NULL AND caller_token = $1", {token}), 1);
  auto events = store.callRecords().eventsOf("call-1");
  ASSERT_OK(events);
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].caller, token);  // the same caller gives the same token on every call

  // The guard refuses the number in clear, whatever writes it.
  auto raw = store.execForTest(
      "INSERT INTO call_events (call_id, type, at_ms, caller, dialed, entry_point_id, queue_id, "
      "agent_id, target, cause, detail) VALUES ($1, $2, $3, $4, $5, $5, $5, $5, $5, $5, $5)",
      {"call-2", "created", "1", Phone, ""});
  ASSERT_FALSE(raw.ok());
  EXPECT_EQ(raw.error().code, ErrorCode::PermissionDenied);
  EXPECT_EQ(raw.error().field, "call_events.caller");
  EXPECT_EQ(rowsWhere("caller = $1", {Phone}), 0);
}

TEST_P(StoreCallRecordTest, ASiteWithADataKeySealsTheCaller) {
  auto ring = privacy::KeyRing::generate();
  StoreOptions options;
  options.residency = {privacy::SiteKind::Edge, {}};
  options.cipher = std::make_shared<privacy::FieldCipher>(ring);
  options.tokenizer = std::make_shared<privacy::Tokenizer>(ring.tokenKey());
  Store& store = open(options);
  ASSERT_OK(store.callRecords().append(event("call-1", call::CallEventType::Created, 1000)));
  EXPECT_EQ(rowsWhere("caller LIKE 'enc1:%'", {}), 1);
  EXPECT_EQ(rowsWhere("caller = $1", {Phone}), 0);
  auto events = store.callRecords().eventsOf("call-1");
  ASSERT_OK(events);
  EXPECT_EQ((*events)[0].caller, Phone);

  // Without the key the same rows show no number, only the token.
  options.cipher = nullptr;
  Store& keyless = open(options);
  auto seen = keyless.callRecords().eventsOf("call-1");
  ASSERT_OK(seen);
  EXPECT_EQ((*seen)[0].caller, *options.tokenizer->phoneToken(Phone));
}

TEST_P(StoreCallRecordTest, AnAllInOneSiteWithoutKeysKeepsTheCallerInClear) {
  Store& store = open();
  auto anonymous = event("call-1", call::CallEventType::Created, 1000);
  anonymous.caller = "anonymous";
  ASSERT_OK(store.callRecords().append(anonymous));
  ASSERT_OK(store.callRecords().append(event("call-1", call::CallEventType::Ended, 2000)));
  EXPECT_EQ(rowsWhere("caller = $1", {Phone}), 1);
  auto events = store.callRecords().eventsOf("call-1");
  ASSERT_OK(events);
  EXPECT_EQ((*events)[0].caller, "anonymous");
  EXPECT_EQ((*events)[1].caller, Phone);
}

TEST_P(StoreCallRecordTest, ACallersEarlierCallsComeBackByTokenNewestFirst) {
  auto ring = privacy::KeyRing::generate();
  StoreOptions options;
  options.residency = {privacy::SiteKind::Edge, {}};
  options.tokenizer = std::make_shared<privacy::Tokenizer>(ring.tokenKey());
  Store& store = open(options);
  // Seven calls from Phone (created at 1000 … 7000, each ended), one from another number between.
  for (int i = 1; i <= 7; ++i) {
    const std::string id = "call-" + std::to_string(i);
    ASSERT_OK(store.callRecords().append(event(id, call::CallEventType::Created, i * 1000)));
    auto ended = event(id, call::CallEventType::Ended, i * 1000 + 500);
    ended.cause = i % 2 == 0 ? "agent_hangup" : "caller_hangup";
    ASSERT_OK(store.callRecords().append(ended));
  }
  auto other = event("call-other", call::CallEventType::Created, 6500);
  other.caller = "+8613900000000";
  ASSERT_OK(store.callRecords().append(other));

  const std::string token = *options.tokenizer->phoneToken(Phone);
  auto history = store.callRecords().callsOfCaller(token, "call-7", Now, 5);
  ASSERT_OK(history);
  ASSERT_EQ(history->size(), 5u);
  for (std::size_t i = 0; i < history->size(); ++i) {
    const auto& events = (*history)[i];
    EXPECT_EQ(events.front().call_id, "call-" + std::to_string(6 - i)) << i;
    ASSERT_EQ(events.size(), 2u) << i;
    EXPECT_EQ(events[0].type, call::CallEventType::Created);
    EXPECT_EQ(events[1].type, call::CallEventType::Ended);
    EXPECT_EQ(events[1].cause, (6 - i) % 2 == 0 ? "agent_hangup" : "caller_hangup");
  }
  auto all = store.callRecords().callsOfCaller(token, "", Now, 50);
  ASSERT_OK(all);
  EXPECT_EQ(all->size(), 7u);
  EXPECT_EQ((*all)[0][0].call_id, "call-7");
  // Only calls created by the given time: the screen pop of call-3 lists call-2 and call-1.
  auto before = store.callRecords().callsOfCaller(token, "call-3", 3000, 5);
  ASSERT_OK(before);
  ASSERT_EQ(before->size(), 2u);
  EXPECT_EQ((*before)[0][0].call_id, "call-2");
  EXPECT_EQ((*before)[1][0].call_id, "call-1");
  auto others = store.callRecords().callsOfCaller(*options.tokenizer->phoneToken("+8613900000000"),
                                                  "", Now, 5);
  ASSERT_OK(others);
  ASSERT_EQ(others->size(), 1u);
  EXPECT_EQ((*others)[0][0].call_id, "call-other");
  EXPECT_TRUE(store.callRecords().callsOfCaller("", "", Now, 5)->empty());
  EXPECT_TRUE(store.callRecords().callsOfCaller("tok_unknown", "", Now, 5)->empty());
}

TEST_P(StoreCallRecordTest, AWrapUpIsStoredAndASecondOneByTheSameAgentReplacesIt) {
  Store& store = open();
  call::WrapUpRecord first{"call-1", "ag_1", 5000, "q_sales", "resolved", "退款已处理"};
  ASSERT_OK(store.wrapUps().save(first));
  ASSERT_OK(store.wrapUps().save({"call-1", "ag_2", 6000, "q_sales", "escalated", ""}));
  ASSERT_OK(store.wrapUps().save({"call-2", "ag_1", 7000, "", "callback", "after 18:00"}));

  auto wrap_ups = store.wrapUps().ofCall("call-1");
  ASSERT_OK(wrap_ups);
  ASSERT_EQ(wrap_ups->size(), 2u);
  EXPECT_EQ((*wrap_ups)[0].agent_id, "ag_1");
  EXPECT_EQ((*wrap_ups)[0].at_ms, 5000);
  EXPECT_EQ((*wrap_ups)[0].queue_id, "q_sales");
  EXPECT_EQ((*wrap_ups)[0].disposition, "resolved");
  EXPECT_EQ((*wrap_ups)[0].notes, "退款已处理");
  EXPECT_EQ((*wrap_ups)[1].agent_id, "ag_2");
  EXPECT_EQ((*wrap_ups)[1].disposition, "escalated");

  // The agent corrects its wrap-up: one row, the new values.
  ASSERT_OK(store.wrapUps().save({"call-1", "ag_1", 8000, "q_sales", "follow_up", "called back"}));
  wrap_ups = store.wrapUps().ofCall("call-1");
  ASSERT_OK(wrap_ups);
  ASSERT_EQ(wrap_ups->size(), 2u);
  EXPECT_EQ((*wrap_ups)[0].agent_id, "ag_2");
  EXPECT_EQ((*wrap_ups)[1].agent_id, "ag_1");
  EXPECT_EQ((*wrap_ups)[1].at_ms, 8000);
  EXPECT_EQ((*wrap_ups)[1].disposition, "follow_up");
  EXPECT_EQ((*wrap_ups)[1].notes, "called back");

  auto both = store.wrapUps().ofCalls({"call-2", "call-unknown", "call-1"});
  ASSERT_OK(both);
  ASSERT_EQ(both->size(), 3u);
  EXPECT_EQ((*both)[0].call_id, "call-2");
  EXPECT_EQ((*both)[0].notes, "after 18:00");
  EXPECT_EQ((*both)[1].call_id, "call-1");
  EXPECT_TRUE(store.wrapUps().ofCall("call-unknown")->empty());

  auto no_disposition = store.wrapUps().save({"call-3", "ag_1", 1, "", "", ""});
  ASSERT_FALSE(no_disposition.ok());
  EXPECT_EQ(no_disposition.error().field, "disposition");
}

TEST_P(StoreCallRecordTest, AnEdgeSiteStoresWrapUpNotesAsContent) {
  // Notes are content-class: an edge site keeps them (only core-class values stay on the core).
  StoreOptions options;
  options.residency = {privacy::SiteKind::Edge, {}};
  Store& store = open(options);
  ASSERT_OK(
      store.wrapUps().save({"call-1", "ag_1", 5000, "q_sales", "resolved", "asked for a refund"}));
  auto wrap_ups = store.wrapUps().ofCall("call-1");
  ASSERT_OK(wrap_ups);
  ASSERT_EQ(wrap_ups->size(), 1u);
  EXPECT_EQ((*wrap_ups)[0].notes, "asked for a refund");
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreCallRecordTest,
                         testing::Values(Backend::Sqlite, Backend::Postgres), test::backendName);

}  // namespace
}  // namespace kefu::store
