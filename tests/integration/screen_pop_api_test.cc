// The screen pop and stored wrap-ups through the REST API, on both backends: a customer created
// with POST /api/v1/customers is recognised by the phone number of a stored call, whose screen
// pop (GET /api/v1/calls/{id}/screen-pop) carries the card with the masked numbers and the
// caller's earlier call with its end cause and wrap-up; an unknown caller's is null. A wrap-up's
// bad fields are refused naming the field.

#include <gtest/gtest.h>

#include "privacy/masking.h"
#include "server/site.h"
#include "store/store.h"
#include "support/http_client.h"
#include "support/site_fixture.h"

namespace kefu::test {
namespace {

constexpr const char* Phone = "13812345678";
constexpr const char* Stranger = "13700001111";

#define ASSERT_OK(expr)                                          \
  do {                                                           \
    auto&& r_ = (expr);                                          \
    ASSERT_TRUE(r_.ok()) << #expr << ": " << r_.error().message; \
  } while (false)

class ScreenPopApiTest : public SiteFixture {
 protected:
  void configure(server::Config& config) override {
    config.sip.enabled = true;  // wrap-ups are recorded by the site's calls
    config.sip.listen = {"127.0.0.1", 0};
  }

  /** The site's storage through a second connection with the site's own keys, as the call
   *  control of another process would write it. */
  store::StorePtr openSiteStore() {
    auto options = server::privacyStoreOptions(config_);
    EXPECT_TRUE(options.ok()) << options.error().message;
    auto opened = store::openStore(config_.storage.url, *options);
    EXPECT_TRUE(opened.ok()) << opened.error().message;
    return opened.ok() ? std::move(opened).value() : nullptr;
  }

  static call::CallEvent event(const std::string& id, call::CallEventType type, std::int64_t at,
                               const std::string& caller) {
    call::CallEvent e;
    e.type = type;
    e.at_ms = at;
    e.call_id = id;
    e.caller = caller;
    e.dialed = "8000";
    return e;
  }
};

TEST_P(ScreenPopApiTest, AReturningCallersScreenPopShowsTheCardAndTheWrappedUpCall) {
  auto created = client().post("/api/v1/customers",
                               Json{{"name", "张三"}, {"phones", {Phone, "010-62345678"}}}.dump());
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string customer_id = body(created)["id"].get<std::string>();

  auto store = openSiteStore();
  ASSERT_TRUE(store);
  auto& records = store->callRecords();
  ASSERT_OK(records.append(event("call-old", call::CallEventType::Created, 1000, Phone)));
  auto answered = event("call-old", call::CallEventType::Answered, 2000, Phone);
  answered.queue_id = "q_support";
  answered.agent_id = "ag_7";
  ASSERT_OK(records.append(answered));
  auto ended = event("call-old", call::CallEventType::Ended, 9000, Phone);
  ended.cause = "agent_hangup";
  ASSERT_OK(records.append(ended));
  ASSERT_OK(store->wrapUps().save(
      {"call-old", "ag_7", 9500, "q_support", "address_changed", "新地址：北京市海淀区"}));
  ASSERT_OK(records.append(event("call-new", call::CallEventType::Created, 20'000, Phone)));
  ASSERT_OK(records.append(event("call-stranger", call::CallEventType::Created, 21'000, Stranger)));

  auto reply = client().get("/api/v1/calls/call-new/screen-pop");
  ASSERT_EQ(reply.status, 200) << reply.body;
  Json pop = body(reply);
  EXPECT_EQ(pop["call_id"], "call-new");
  const Json& customer = pop["customer"];
  ASSERT_TRUE(customer.is_object()) << reply.body;
  EXPECT_EQ(customer["id"], customer_id);
  EXPECT_EQ(customer["name"], "张三");
  EXPECT_EQ(customer["phones"],
            Json::array({privacy::maskPhone(Phone), privacy::maskPhone("010-62345678")}));
  EXPECT_EQ(reply.body.find(Phone), std::string::npos);  // never the full number
  EXPECT_EQ(customer["unavailable"], false);
  ASSERT_EQ(pop["history"].size(), 1u) << reply.body;
  const Json& past = pop["history"][0];
  EXPECT_EQ(past["call_id"], "call-old");
  EXPECT_EQ(past["at_ms"], 1000);
  EXPECT_EQ(past["queue_id"], "q_support");
  EXPECT_EQ(past["agent_id"], "ag_7");
  EXPECT_EQ(past["cause"], "agent_hangup");
  EXPECT_EQ(past["disposition"], "address_changed");
  EXPECT_EQ(past["notes"], "新地址：北京市海淀区");

  // The old call's own screen pop has no earlier call (call-new came later); the stranger is
  // nobody we know.
  auto old_pop = body(client().get("/api/v1/calls/call-old/screen-pop"));
  EXPECT_EQ(old_pop["customer"]["id"], customer_id);
  EXPECT_TRUE(old_pop["history"].empty());
  auto stranger = client().get("/api/v1/calls/call-stranger/screen-pop");
  ASSERT_EQ(stranger.status, 200) << stranger.body;
  EXPECT_TRUE(body(stranger)["customer"].is_null());
  EXPECT_TRUE(body(stranger)["history"].empty());
  EXPECT_EQ(client().get("/api/v1/calls/call-unknown/screen-pop").status, 404);

  auto wrap_ups = client().get("/api/v1/calls/call-old/wrap-ups");
  ASSERT_EQ(wrap_ups.status, 200) << wrap_ups.body;
  const Json listed = body(wrap_ups);
  EXPECT_EQ(listed["call_id"], "call-old");
  ASSERT_EQ(listed["wrap_ups"].size(), 1u) << wrap_ups.body;
  const Json& w = listed["wrap_ups"][0];
  EXPECT_EQ(w["agent_id"], "ag_7");
  EXPECT_EQ(w["at_ms"], 9500);
  EXPECT_EQ(w["disposition"], "address_changed");
  EXPECT_EQ(w["notes"], "新地址：北京市海淀区");
}

TEST_P(ScreenPopApiTest, AWrapUpIsStoredASecondOneReplacesItAndBadFieldsAreRefused) {
  auto agent = client().post(
      "/api/v1/agents",
      R"({"name":"Wang","extension":"1007","sip_password":"secret-1007","skills":[]})");
  ASSERT_EQ(agent.status, 201) << agent.body;
  const std::string path = "/api/v1/agents/" + body(agent)["id"].get<std::string>() + "/wrap-up";
  auto no_disposition = client().post(path, R"({"call_id":"call-1","notes":"x"})");
  EXPECT_EQ(no_disposition.status, 400);
  EXPECT_EQ(body(no_disposition)["error"]["field"], "disposition") << no_disposition.body;
  // 2,000 characters are fine (here 6,000 bytes of Chinese), one more is not.
  std::string notes;
  for (int i = 0; i < 2001; ++i) {
    notes += "字";
  }
  auto too_long = client().post(
      path, Json{{"call_id", "call-1"}, {"disposition", "done"}, {"notes", notes}}.dump());
  EXPECT_EQ(too_long.status, 400);
  EXPECT_EQ(body(too_long)["error"]["field"], "notes") << too_long.body;
  notes.resize(notes.size() - std::string("字").size());
  auto fits = client().post(
      path, Json{{"call_id", "call-1"}, {"disposition", "done"}, {"notes", notes}}.dump());
  EXPECT_EQ(fits.status, 404) << fits.body;  // past the checks: no call-1 is stored

  auto store = openSiteStore();
  ASSERT_TRUE(store);
  ASSERT_OK(
      store->callRecords().append(event("call-1", call::CallEventType::Created, 1000, Phone)));
  auto routed = event("call-1", call::CallEventType::Ringing, 1100, Phone);
  routed.queue_id = "q_billing";
  ASSERT_OK(store->callRecords().append(routed));
  // The agent is not logged in, so taking calls again may be refused; the wrap-up is stored first.
  client().post(path, R"({"call_id":"call-1","disposition":"billing_question","notes":"first"})");
  client().post(path, R"({"call_id":"call-1","disposition":"refund_done","notes":"已退款"})");
  auto stored = client().get("/api/v1/calls/call-1/wrap-ups");
  ASSERT_EQ(stored.status, 200) << stored.body;
  const Json listed = body(stored);
  ASSERT_EQ(listed["wrap_ups"].size(), 1u) << stored.body;
  const Json& w = listed["wrap_ups"][0];
  EXPECT_EQ(w["agent_id"], body(agent)["id"]);
  EXPECT_EQ(w["disposition"], "refund_done");
  EXPECT_EQ(w["notes"], "已退款");
  auto rows = store->wrapUps().ofCall("call-1");
  ASSERT_OK(rows);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].queue_id, "q_billing");
  EXPECT_GT((*rows)[0].at_ms, 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, ScreenPopApiTest,
                         testing::Values(Backend::Sqlite, Backend::Postgres), backendName);

}  // namespace
}  // namespace kefu::test
