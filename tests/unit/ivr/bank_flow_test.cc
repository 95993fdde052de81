// The shipped demo flow (deploy/flows/bank.yaml) driven as a caller would, and a property test:
// whatever a caller does, the flow ends with the caller handed somewhere, never dropped.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "ivr/flow_driver.h"
#include "ivr/flow_loader.h"

namespace kefu::ivr {
namespace {

using ::testing::HasSubstr;

constexpr std::int64_t TuesdayMorning = 1795489200;  // 2026-11-24 11:00 in Shanghai
constexpr std::int64_t TuesdayNight = 1795525200;    // 21:00

FlowPtr bankFlow() {
  static FlowPtr flow = [] {
    auto loaded = loadFlowFile(KEFU_SOURCE_DIR "/deploy/flows/bank.yaml");
    EXPECT_TRUE(loaded.errors.empty());
    return loaded.flow;
  }();
  return flow;
}

struct BankCall {
  explicit BankCall(std::int64_t at, DriverOptions options = {}) {
    time.advance(std::chrono::seconds{at} - time.systemTime().time_since_epoch());
    options.session.caller = "+8613900000000";
    driver = std::make_unique<FlowDriver>(bankFlow(), time, zones, std::move(options));
  }
  std::string call(std::string_view inputs) {
    transcript.clear();
    for (const auto& line : driver->run(splitInputs(inputs))) {
      transcript += line + "\n";
    }
    const auto& session = driver->session();
    return session.finished() ? describe(session.outcome().action) : "(not finished)";
  }
  SimulatedTime time;
  SystemTimeZones zones;
  std::unique_ptr<FlowDriver> driver;
  std::string transcript;
};

DriverOptions crm(int status, std::string body) {
  DriverOptions options;
  options.http = [status, body](const HttpRequest&) {
    return HttpAnswer{HttpAnswer::Kind::Response, status, body};
  };
  return options;
}

TEST(BankFlowTest, LostCardGoesToThePriorityQueue) {
  BankCall call(TuesdayMorning);
  EXPECT_EQ(call.call("1,2"), "transfer to queue lost-cards") << call.transcript;
}

TEST(BankFlowTest, MandarinCallerSaysLostCardInChinese) {
  BankCall call(TuesdayMorning);
  EXPECT_EQ(call.call("2,say:我要挂失"), "transfer to queue lost-cards") << call.transcript;
  EXPECT_THAT(call.transcript, HasSubstr("tts zh/cmn \"正在为您转接挂失服务。\""));
}

TEST(BankFlowTest, BalanceInquiryReadsTheCrm) {
  BankCall call(TuesdayMorning, crm(200, R"({"balance": "1024.50", "currency": "CNY"})"));
  EXPECT_EQ(call.call("1,1,6,2,2,8,4,8,#,9"), "hang up") << call.transcript;
  EXPECT_THAT(call.transcript, HasSubstr("GET http://127.0.0.1:8099/crm/accounts/622848/balance"));
  EXPECT_THAT(call.transcript, HasSubstr("\"Your balance is 1024.50 CNY.\""));
}

TEST(BankFlowTest, CrmDownSendsTheCallerToAnAgent) {
  BankCall call(TuesdayMorning, crm(500, "oops"));
  EXPECT_EQ(call.call("1,1,622848,#"), "transfer to queue general") << call.transcript;
  EXPECT_THAT(call.transcript, HasSubstr("Sorry, we cannot read your balance"));
}

TEST(BankFlowTest, EverythingElseGoesToGeneralAndLoansToLoans) {
  BankCall other(TuesdayMorning);
  EXPECT_EQ(other.call("1,0"), "transfer to queue general");
  BankCall loans(TuesdayMorning);
  EXPECT_EQ(loans.call("1,3"), "transfer to queue loans");
}

TEST(BankFlowTest, SilentCallerReachesGeneral) {
  BankCall call(TuesdayMorning);
  EXPECT_EQ(call.call(""), "transfer to queue general") << call.transcript;
}

TEST(BankFlowTest, OutOfHoursOffersCallbackOrVoicemail) {
  BankCall callback(TuesdayNight);
  EXPECT_EQ(callback.call("1,1"), "callback +8613900000000 from queue general")
      << callback.transcript;
  BankCall voicemail(TuesdayNight);
  EXPECT_EQ(voicemail.call("1,3"), "voicemail box general");
  BankCall silent(TuesdayNight);
  EXPECT_EQ(silent.call(""), "voicemail box general");
  BankCall lost(TuesdayNight);
  EXPECT_EQ(lost.call("1,2"), "transfer to queue lost-cards");
}

/** Random callers: keys, speech, silence, recognizer failures, and a CRM that fails at random. */
TEST(BankFlowTest, RandomCallersAreNeverDropped) {
  const std::vector<std::string> inputs{"0",
                                        "1",
                                        "2",
                                        "3",
                                        "9",
                                        "#",
                                        "*",
                                        "5",
                                        "say:balance",
                                        "say:挂失",
                                        "say:nonsense",
                                        "say:yes@0.1",
                                        "wait",
                                        "fail-speech",
                                        "say:"};
  std::mt19937 random(20261124);
  int transfers = 0;
  for (int caller = 0; caller < 500; ++caller) {
    int crm_mode = static_cast<int>(random() % 4);
    DriverOptions options;
    options.http = [crm_mode](const HttpRequest&) {
      switch (crm_mode) {
        case 0:
          return HttpAnswer{HttpAnswer::Kind::Response, 200,
                            R"({"balance": "1", "currency": "$"})"};
        case 1:
          return HttpAnswer{HttpAnswer::Kind::Response, 404, "{}"};
        case 2:
          return HttpAnswer{HttpAnswer::Kind::Failure, 0, "reset"};
        default:
          return HttpAnswer{HttpAnswer::Kind::Timeout, 0, ""};
      }
    };
    std::int64_t at = TuesdayMorning + static_cast<std::int64_t>(random() % (7 * 86400));
    BankCall call(at, options);
    std::string script;
    for (int i = 0, n = static_cast<int>(random() % 12); i < n; ++i) {
      script += (i ? "," : "") + inputs[random() % inputs.size()];
    }
    std::string ended = call.call(script);
    const auto& session = call.driver->session();
    ASSERT_TRUE(session.finished()) << script << "\n" << call.transcript;
    ASSERT_FALSE(session.outcome().caller_hung_up);
    // Only the goodbye node hangs up, and only after a balance was read.
    if (std::holds_alternative<Hangup>(session.outcome().action)) {
      ASSERT_EQ(call.driver->path().back(), "goodbye") << call.transcript;
      ASSERT_THAT(call.transcript, HasSubstr("Your balance is")) << script;
    }
    transfers += std::holds_alternative<Transfer>(session.outcome().action) ? 1 : 0;
    ASSERT_LT(session.steps(), 60) << script;
  }
  EXPECT_GT(transfers, 250);  // most random callers end with a person
}

}  // namespace
}  // namespace kefu::ivr
