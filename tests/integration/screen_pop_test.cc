// Screen pops: a ringing softphone's `softphone.alerting` carries the caller's customer card and
// last calls (with their end causes and stored wrap-ups), built on the blocking pool from a real
// store; on an edge site the name comes from the core, and with the core out of reach the card
// says so instead of the alert failing. Ordering: an alert whose ring ended before its screen pop
// was ready is never sent, and frames of the call that come meanwhile follow the alert.

#include <gtest/gtest.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>

#include "core/blocking_pool.h"
#include "core/event_bus.h"
#include "privacy/field_cipher.h"
#include "privacy/key_ring.h"
#include "privacy/masking.h"
#include "privacy/tokenizer.h"
#include "server/screen_pops.h"
#include "server/site_softphones.h"
#include "store/store.h"
#include "support/site_fixture.h"
#include "unit/call/fakes.h"

namespace kefu::server {
namespace {

using Json = nlohmann::json;

constexpr const char* Phone = "+8613812345678";
constexpr const char* OtherPhone = "13900001111";
constexpr const char* Offer = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n";

#define ASSERT_OK(expr)                                          \
  do {                                                           \
    auto&& r_ = (expr);                                          \
    ASSERT_TRUE(r_.ok()) << #expr << ": " << r_.error().message; \
  } while (false)

/** The frames one softphone's socket was sent, in order. */
class Frames {
 public:
  api::SocketSend sender() {
    return [this](std::string frame) {
      std::lock_guard lock(mutex_);
      frames_.push_back(Json::parse(frame));
      changed_.notify_all();
      return true;
    };
  }
  /** @return the first frame of `type` for `call_id`, waiting up to 5 s. */
  std::optional<Json> waitFor(const std::string& type, const std::string& call_id) {
    std::unique_lock lock(mutex_);
    std::optional<Json> found;
    changed_.wait_for(lock, std::chrono::seconds(5), [&] {
      for (const auto& f : frames_) {
        if (f.value("type", "") == type && f.value("call_id", "") == call_id) {
          found = f;
          return true;
        }
      }
      return false;
    });
    return found;
  }
  /** @return the types of the frames of `call_id`, in order. */
  std::vector<std::string> typesOf(const std::string& call_id) {
    std::lock_guard lock(mutex_);
    std::vector<std::string> types;
    for (const auto& f : frames_) {
      if (f.value("call_id", "") == call_id) {
        types.push_back(f.value("type", ""));
      }
    }
    return types;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Json> frames_;
};

/** An edge site's customers: ids and tokens, never the personal values. */
class EdgeCustomers final : public crm::CustomerRepository {
 public:
  std::map<std::string, crm::Customer> by_token;
  Result<void> create(const crm::Customer&) override { return {}; }
  Result<crm::Customer> get(std::string_view id) override {
    return Error::notFound(std::string(id));
  }
  Result<std::vector<crm::Customer>> list() override { return std::vector<crm::Customer>{}; }
  Result<void> update(const crm::Customer&) override { return {}; }
  Result<void> remove(std::string_view) override { return {}; }
  Result<std::vector<crm::Customer>> findByToken(std::string_view token) override {
    auto it = by_token.find(std::string(token));
    if (it == by_token.end()) {
      return std::vector<crm::Customer>{};
    }
    return std::vector<crm::Customer>{it->second};
  }
  Result<std::vector<std::string>> tokensOf(std::string_view) override {
    return std::vector<std::string>{};
  }
  Result<std::int64_t> reseal() override { return 0; }
};

/** The core as an edge sees it through the link: answers, is unreachable, or hangs. */
class FakeCore final : public crm::IdentityService {
 public:
  enum class Mode { Answers, Unreachable, Hangs };
  Mode mode = Mode::Answers;
  std::vector<crm::RevealRequest> asked;

  ~FakeCore() override { release(); }
  void release() {
    std::lock_guard lock(mutex_);
    released_ = true;
    wake_.notify_all();
  }

  Result<bool> verifyIdentity(const crm::VerifyIdentityRequest&) override { return false; }
  Result<crm::RevealedField> reveal(const crm::RevealRequest& request) override {
    {
      std::lock_guard lock(mutex_);
      asked.push_back(request);
    }
    if (mode == Mode::Unreachable) {
      return Error{ErrorCode::Unavailable, "core site unreachable", {}};
    }
    if (mode == Mode::Hangs) {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return released_; });
      return Error{ErrorCode::Unavailable, "core site unreachable", {}};
    }
    return crm::RevealedField{"name", {"张三"}};
  }
  Result<std::int64_t> updateCustomer(const crm::IdentityAsker&, const crm::Customer&) override {
    return 0;
  }
  Result<crm::Customer> createCustomer(const crm::IdentityAsker&,
                                       const crm::Customer& customer) override {
    return customer;
  }
  Result<void> deleteCustomer(const crm::IdentityAsker&, std::string_view) override { return {}; }

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  bool released_ = false;
};

class ScreenPopTest : public testing::Test {
 protected:
  void SetUp() override {
    url_ = test::freshStorageUrl(test::Backend::Sqlite);
    auto ring = privacy::KeyRing::generate();
    options_.cipher = std::make_shared<privacy::FieldCipher>(ring);
    options_.tokenizer = std::make_shared<privacy::Tokenizer>(ring.tokenKey());
    auto opened = store::openStore(url_, options_);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(opened).value();
    ASSERT_OK(store_->migrate());
    ASSERT_OK(store_->users().create({"u_1", "alice", "Alice", auth::Role::Agent, "x", 1, 1}));
    acd::Agent agent;
    agent.id = "ag_1";
    agent.name = "Alice";
    agent.extension = "1001";
    agent.sip_password = "secret-1001";
    agent.user_id = "u_1";
    ASSERT_OK(store_->agents().create(agent));
  }

  void TearDown() override {
    pool_.shutdown();
    softphones_.reset();
    pops_.reset();
    store_.reset();
    std::filesystem::remove_all(std::filesystem::path(url_.substr(7)).parent_path());
  }

  /** A customer 张三 with two phones, and an earlier call from Phone that agent ag_1 wrapped up. */
  void seedReturningCaller() {
    crm::Customer customer;
    customer.id = "cu_1";
    customer.name = "张三";
    customer.phones = {Phone, "010-62345678"};
    customer.created_at_ms = customer.updated_at_ms = 1;
    ASSERT_OK(store_->customers().create(customer));
    append("call-old", call::CallEventType::Created, 1000, Phone);
    auto ringing = event("call-old", call::CallEventType::Ringing, 1100, Phone);
    ringing.queue_id = "q_sales";
    ringing.agent_id = "ag_1";
    ASSERT_OK(store_->callRecords().append(ringing));
    auto answered = ringing;
    answered.type = call::CallEventType::Answered;
    ASSERT_OK(store_->callRecords().append(answered));
    auto ended = event("call-old", call::CallEventType::Ended, 9000, Phone);
    ended.cause = "caller_hangup";
    ASSERT_OK(store_->callRecords().append(ended));
    ASSERT_OK(store_->wrapUps().save(
        {"call-old", "ag_1", 9500, "q_sales", "refund_done", "退款已处理，客户满意"}));
    // Another caller's call is not this caller's history.
    append("call-stranger", call::CallEventType::Created, 2000, OtherPhone);
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
  void append(const std::string& id, call::CallEventType type, std::int64_t at,
              const std::string& caller) {
    ASSERT_OK(store_->callRecords().append(event(id, type, at, caller)));
  }

  /** Softphones with the production lookup over `pops`, alice's softphone connected. */
  void connectAlice(ScreenPops::Parts parts) {
    pops_ = std::make_unique<ScreenPops>(std::move(parts));
    softphones_ = std::make_unique<SiteSoftphones>(media_, store_->agents(), bus_);
    softphones_->setScreenPop(alertLookup(*pops_, store_->agents()), pool_);
    connect();
  }
  void connect() {
    auth::Principal alice{"u_1", "alice", auth::Role::Agent};
    softphones_->onSocketMessage(1, alice, Json{{"type", "softphone.offer"}, {"sdp", Offer}},
                                 frames_.sender());
    ASSERT_TRUE(frames_.waitFor("softphone.answer", "").has_value() ||
                softphones_->sessionOf("ag_1").has_value());
  }
  ScreenPops::Parts allInOneParts() {
    return {store_->customers(),
            store_->callRecords(),
            store_->wrapUps(),
            options_.tokenizer,
            true,
            "site-a",
            &pool_};
  }

  void publish(const std::string& type, const std::string& call_id, const Json& payload) {
    DomainEvent e;
    e.type = type;
    e.entity_id = call_id;
    e.at_ms = 1;
    e.payload_json = payload.dump();
    bus_.publish(std::move(e));
  }
  void ring(const std::string& call_id, const std::string& caller) {
    publish("call.ringing", call_id,
            {{"agent_id", "ag_1"}, {"caller", caller}, {"queue_id", "q_sales"}});
  }

  std::string url_;
  store::StoreOptions options_;
  store::StorePtr store_;
  EventBus bus_;
  BlockingPool pool_{4};
  call::test::FakeMediaEngine media_;
  std::unique_ptr<ScreenPops> pops_;
  std::unique_ptr<SiteSoftphones> softphones_;
  Frames frames_;
};

TEST_F(ScreenPopTest, TheAlertCarriesTheCustomerCardAndTheCallersLastCalls) {
  seedReturningCaller();
  connectAlice(allInOneParts());
  append("call-new", call::CallEventType::Created, 20'000, Phone);  // the ringing call itself
  ring("call-new", Phone);

  auto alert = frames_.waitFor("softphone.alerting", "call-new");
  ASSERT_TRUE(alert.has_value());
  EXPECT_EQ((*alert)["caller"], privacy::maskPhone(Phone));
  const Json& customer = (*alert)["customer"];
  ASSERT_TRUE(customer.is_object()) << alert->dump();
  EXPECT_EQ(customer["id"], "cu_1");
  EXPECT_EQ(customer["name"], "张三");
  ASSERT_EQ(customer["phones"].size(), 2u);
  EXPECT_EQ(customer["phones"][0], privacy::maskPhone(Phone));
  EXPECT_EQ(customer["phones"][0].get<std::string>().find("12345"), std::string::npos);
  EXPECT_EQ(customer["unavailable"], false);
  const Json& history = (*alert)["history"];
  ASSERT_EQ(history.size(), 1u) << alert->dump();  // not the ringing call, not the stranger's
  EXPECT_EQ(history[0]["call_id"], "call-old");
  EXPECT_EQ(history[0]["at_ms"], 1000);
  EXPECT_EQ(history[0]["queue_id"], "q_sales");
  EXPECT_EQ(history[0]["agent_id"], "ag_1");
  EXPECT_EQ(history[0]["cause"], "caller_hangup");
  EXPECT_EQ(history[0]["disposition"], "refund_done");
  EXPECT_EQ(history[0]["notes"], "退款已处理，客户满意");
}

TEST_F(ScreenPopTest, AnUnknownCallerGetsNoCard) {
  seedReturningCaller();
  connectAlice(allInOneParts());
  ring("call-new", "+8613700000000");
  auto alert = frames_.waitFor("softphone.alerting", "call-new");
  ASSERT_TRUE(alert.has_value());
  EXPECT_TRUE((*alert)["customer"].is_null()) << alert->dump();
  EXPECT_TRUE((*alert)["history"].empty());
  // Anonymous: not even a number to recognise.
  ring("call-anon", "anonymous");
  alert = frames_.waitFor("softphone.alerting", "call-anon");
  ASSERT_TRUE(alert.has_value());
  EXPECT_TRUE((*alert)["customer"].is_null());
}

TEST_F(ScreenPopTest, TheCallersHistoryListsTheLastFiveCallsNewestFirst) {
  seedReturningCaller();
  for (int i = 1; i <= 6; ++i) {
    append("call-" + std::to_string(i), call::CallEventType::Created, 10'000 + i, Phone);
  }
  connectAlice(allInOneParts());
  ring("call-new", Phone);
  auto alert = frames_.waitFor("softphone.alerting", "call-new");
  ASSERT_TRUE(alert.has_value());
  const Json& history = (*alert)["history"];
  ASSERT_EQ(history.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(history[i]["call_id"], "call-" + std::to_string(6 - i));
    EXPECT_TRUE(history[i]["disposition"].is_null());
  }
}

/** An edge site: the customer is known by token only; the name is the core's to reveal. */
class EdgeScreenPopTest : public ScreenPopTest {
 protected:
  void connectEdge(std::chrono::milliseconds timeout) {
    crm::Customer known;
    known.id = "cu_1";  // as replicated to an edge: no name, no phones
    edge_customers_.by_token[*options_.tokenizer->phoneToken(Phone)] = known;
    ScreenPops::Parts parts{edge_customers_,
                            store_->callRecords(),
                            store_->wrapUps(),
                            options_.tokenizer,
                            false,
                            "edge-1",
                            &pool_,
                            timeout};
    connectAlice(std::move(parts));
    pops_->setIdentity(&core_);
  }
  void TearDown() override {
    core_.release();  // a hanging reveal must not hold the pool's shutdown
    ScreenPopTest::TearDown();
  }
  EdgeCustomers edge_customers_;
  FakeCore core_;
};

TEST_F(EdgeScreenPopTest, TheNameComesFromTheCoreForTheScreenPopPurpose) {
  connectEdge(std::chrono::milliseconds(800));
  ring("call-new", Phone);
  auto alert = frames_.waitFor("softphone.alerting", "call-new");
  ASSERT_TRUE(alert.has_value());
  const Json& customer = (*alert)["customer"];
  EXPECT_EQ(customer["id"], "cu_1");
  EXPECT_EQ(customer["name"], "张三");
  EXPECT_EQ(customer["unavailable"], false);
  ASSERT_EQ(customer["phones"].size(), 1u);
  EXPECT_EQ(customer["phones"][0], privacy::maskPhone(Phone));
  ASSERT_EQ(core_.asked.size(), 1u);
  EXPECT_EQ(core_.asked[0].customer_id, "cu_1");
  EXPECT_EQ(core_.asked[0].field, "name");
  EXPECT_EQ(core_.asked[0].asker.purpose, "screen_pop");
  EXPECT_EQ(core_.asked[0].asker.actor, "u_1");  // the agent's login, for the core's audit
  EXPECT_EQ(core_.asked[0].asker.site, "edge-1");
}

TEST_F(EdgeScreenPopTest, WithTheCoreUnreachableTheCardSaysUnavailableAndTheAlertGoesOut) {
  core_.mode = FakeCore::Mode::Unreachable;
  connectEdge(std::chrono::milliseconds(800));
  ring("call-new", Phone);
  auto alert = frames_.waitFor("softphone.alerting", "call-new");
  ASSERT_TRUE(alert.has_value());
  const Json& customer = (*alert)["customer"];
  EXPECT_EQ(customer["id"], "cu_1");
  EXPECT_TRUE(customer["name"].is_null());
  EXPECT_EQ(customer["unavailable"], true);
}

TEST_F(EdgeScreenPopTest, ACoreThatDoesNotAnswerDelaysTheAlertOnlyUntilTheTimeout) {
  core_.mode = FakeCore::Mode::Hangs;
  connectEdge(std::chrono::milliseconds(200));
  const auto started = std::chrono::steady_clock::now();
  ring("call-new", Phone);
  auto alert = frames_.waitFor("softphone.alerting", "call-new");
  const auto waited = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(alert.has_value());
  EXPECT_EQ((*alert)["customer"]["unavailable"], true);
  EXPECT_TRUE((*alert)["customer"]["name"].is_null());
  EXPECT_GE(waited, std::chrono::milliseconds(200));
  EXPECT_LT(waited, std::chrono::seconds(2));
  core_.release();
}

/** Softphones whose screen pop waits until the test lets it go. */
class HeldScreenPopTest : public ScreenPopTest {
 protected:
  void connectHeld() {
    softphones_ = std::make_unique<SiteSoftphones>(media_, store_->agents(), bus_);
    softphones_->setScreenPop(
        [this](const std::string&, const std::string&, const std::string&) {
          std::unique_lock lock(mutex_);
          started_ = true;
          wake_.notify_all();
          wake_.wait(lock, [this] { return released_; });
          return SiteSoftphones::ScreenPopJson{R"({"id":"cu_9","name":null,"phones":[],)"
                                               R"("unavailable":true})",
                                               "[]"};
        },
        pool_);
    connect();
  }
  void TearDown() override {
    release();  // the lookup must not hold the pool's shutdown
    ScreenPopTest::TearDown();
  }
  void waitStarted() {
    std::unique_lock lock(mutex_);
    ASSERT_TRUE(wake_.wait_for(lock, std::chrono::seconds(5), [this] { return started_; }));
  }
  void release() {
    std::lock_guard lock(mutex_);
    released_ = true;
    wake_.notify_all();
  }
  std::mutex mutex_;
  std::condition_variable wake_;
  bool started_ = false;
  bool released_ = false;
};

TEST_F(HeldScreenPopTest, AnAlertWhoseRingEndedBeforeItsScreenPopIsNeverSent) {
  connectHeld();
  ring("call-1", Phone);
  waitStarted();
  publish("call.ended", "call-1", {{"cause", "caller_hangup"}});
  release();
  pool_.shutdown();                                // the lookup has finished
  EXPECT_TRUE(frames_.typesOf("call-1").empty());  // neither the stale alert nor its release
}

TEST_F(HeldScreenPopTest, FramesOfTheCallDuringTheLookupFollowItsAlert) {
  connectHeld();
  ring("call-1", Phone);
  waitStarted();
  publish("call.answered", "call-1", {{"agent_id", "ag_1"}});
  EXPECT_TRUE(frames_.typesOf("call-1").empty());
  release();
  ASSERT_TRUE(frames_.waitFor("softphone.connected", "call-1").has_value());
  EXPECT_EQ(frames_.typesOf("call-1"),
            (std::vector<std::string>{"softphone.alerting", "softphone.connected"}));
  auto alert = frames_.waitFor("softphone.alerting", "call-1");
  EXPECT_EQ((*alert)["customer"]["id"], "cu_9");
  publish("call.ended", "call-1", {{"cause", "caller_hangup"}});
  ASSERT_TRUE(frames_.waitFor("softphone.released", "call-1").has_value());
}

}  // namespace
}  // namespace kefu::server
