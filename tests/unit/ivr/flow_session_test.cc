#include "ivr/flow_session.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ivr/flow_catalog.h"
#include "ivr/flow_driver.h"
#include "ivr/flow_loader.h"

namespace kefu::ivr {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

FlowPtr load(std::string_view yaml) {
  auto loaded = loadFlow(yaml, "test.yaml");
  for (const auto& error : loaded.errors) {
    ADD_FAILURE() << format(error, "test.yaml");
  }
  return loaded.flow;
}

/** Moves simulated time to a Unix instant (seconds). */
void advanceTo(SimulatedTime& time, std::int64_t unix_seconds) {
  time.advance(std::chrono::seconds{unix_seconds} - time.systemTime().time_since_epoch());
}

/** Records every action; the test feeds events itself. */
class RecordingHost final : public FlowHost {
 public:
  void perform(const Action& action) override { actions.push_back(action); }
  template <class T>
  std::vector<T> all() const {
    std::vector<T> out;
    for (const auto& action : actions) {
      if (const auto* one = std::get_if<T>(&action)) {
        out.push_back(*one);
      }
    }
    return out;
  }
  template <class T>
  T last() const {
    auto found = all<T>();
    EXPECT_FALSE(found.empty());
    return found.empty() ? T{} : found.back();
  }
  std::vector<Action> actions;
};

struct FlowRun {
  explicit FlowRun(std::string_view yaml, DriverOptions options = {}) : flow(load(yaml)) {
    driver = std::make_unique<FlowDriver>(flow, time, zones, std::move(options));
  }
  std::vector<std::string> go(std::string_view inputs) {
    transcript = driver->run(splitInputs(inputs));
    return transcript;
  }
  const SessionOutcome& outcome() const { return driver->session().outcome(); }
  std::string dump() const {
    std::string out;
    for (const auto& line : transcript) {
      out += line + "\n";
    }
    return out;
  }
  std::string ended() const {
    return driver->session().finished() ? describe(outcome().action) : "(not finished)";
  }
  int count(std::string_view needle) const {
    int n = 0;
    for (const auto& action : driver->actions()) {
      n += describe(action).find(needle) != std::string::npos ? 1 : 0;
    }
    return n;
  }

  FlowPtr flow;
  SimulatedTime time;
  SystemTimeZones zones;
  std::unique_ptr<FlowDriver> driver;
  std::vector<std::string> transcript;
};

constexpr std::string_view MenuFlow = R"(version: 1
start: menu
fallback: {queue: default-q}
nodes:
  menu:
    type: menu
    prompt: "1 sales, 2 support"
    options: {"1": sales, "2": support}
    words: {sales: sales, support: support}
    timeout: 5s
    retries: 2
  sales:
    type: transfer
    queue: sales
  support:
    type: transfer
    extension: "200"
)";

TEST(FlowSessionTest, MenuKeyTransfersToItsOption) {
  FlowRun run(MenuFlow);
  run.go("2");
  EXPECT_EQ(run.ended(), "transfer to extension 200") << run.dump();
  EXPECT_EQ(run.driver->path(), (std::vector<std::string>{"menu", "support"}));
}

TEST(FlowSessionTest, KeyDuringPromptStopsIt) {
  RecordingHost host;
  SimulatedTime time;
  SystemTimeZones zones;
  FlowSession session(load(MenuFlow), host, time, zones, {});
  session.start();
  auto play = host.last<PlayPrompt>();
  EXPECT_TRUE(play.barge_in);
  session.onDigit('1');
  EXPECT_EQ(host.last<StopPrompt>().id, play.id);
  ASSERT_TRUE(session.finished());
  EXPECT_EQ(std::get<Transfer>(session.outcome().action).target,
            (TransferTarget{TransferKind::Queue, "sales"}));
  session.onPromptFinished(play.id);  // the media side's late report changes nothing
  EXPECT_TRUE(session.finished());
}

TEST(FlowSessionTest, SilentCallerIsRepromptedThenTransferredNeverDropped) {
  FlowRun run(MenuFlow);
  run.go("");
  EXPECT_EQ(run.ended(), "transfer to queue default-q (because: no input)") << run.dump();
  EXPECT_EQ(run.count("play #"), 3);  // the first attempt and two retries
  // Each attempt waits its 5 s timeout after the prompt, on simulated time.
  EXPECT_EQ(run.time.monotonicTime().time_since_epoch(), 15s);
}

TEST(FlowSessionTest, WrongKeysAreRetriedThenTakeNoMatch) {
  FlowRun wrong(R"(version: 1
start: menu
nodes:
  menu:
    type: menu
    prompt: "1 sales"
    options: {"1": sales}
    retries: 1
    no_match: operator
  sales:
    type: transfer
    queue: sales
  operator:
    type: transfer
    queue: operator
)");
  wrong.go("7,8");
  EXPECT_EQ(wrong.ended(), "transfer to queue operator") << wrong.dump();
  EXPECT_EQ(wrong.count("play #"), 2);
  FlowRun recovered(R"(version: 1
start: menu
nodes:
  menu:
    type: menu
    prompt: "1 sales"
    options: {"1": sales}
    retries: 1
  sales:
    type: transfer
    queue: sales
)");
  recovered.go("9,1");
  EXPECT_EQ(recovered.ended(), "transfer to queue sales") << recovered.dump();
}

TEST(FlowSessionTest, SpokenMenuWordRoutes) {
  FlowRun run(MenuFlow);
  run.go("say:I need support please");
  EXPECT_EQ(run.ended(), "transfer to extension 200") << run.dump();
  FlowRun unsure(MenuFlow);
  unsure.go("say:support@0.2,say:sales@0.9");
  EXPECT_EQ(unsure.ended(), "transfer to queue sales") << unsure.dump();
}

constexpr std::string_view CollectFlow = R"(version: 1
start: intro
nodes:
  intro:
    type: play
    prompt: "Welcome"
    next: pin
  pin:
    type: collect
    prompt: "Your PIN, then hash"
    variable: pin
    min: 4
    max: 6
    terminator: "#"
    timeout: 5s
    inter_digit_timeout: 2s
    retries: 1
    next: done
  done:
    type: transfer
    queue: "q-${pin}"
)";

TEST(FlowSessionTest, CollectEndsAtTerminator) {
  FlowRun run(CollectFlow);
  run.go("1,2,3,4,#");
  EXPECT_EQ(run.ended(), "transfer to queue q-1234") << run.dump();
}

TEST(FlowSessionTest, CollectEndsAtMaxDigits) {
  FlowRun run(CollectFlow);
  run.go("1,2,3,4,5,6");
  EXPECT_EQ(run.ended(), "transfer to queue q-123456") << run.dump();
}

TEST(FlowSessionTest, CollectEndsAfterInterDigitPauseWhenEnough) {
  FlowRun run(CollectFlow);
  run.go("1,2,3,4,5");
  EXPECT_EQ(run.ended(), "transfer to queue q-12345") << run.dump();
  EXPECT_THAT(run.dump(), HasSubstr("2000 ms pass"));
}

TEST(FlowSessionTest, CollectTooFewDigitsIsRetried) {
  FlowRun run(CollectFlow);
  run.go("1,2,#,9,8,7,6,#");
  EXPECT_EQ(run.ended(), "transfer to queue q-9876") << run.dump();
  // "1" cut the intro and started the PIN as type-ahead; after "#" came too early, the PIN
  // prompt is played (for the first time) for the retry.
  EXPECT_EQ(run.count("tts"), 2);
  EXPECT_THAT(run.dump(), HasSubstr("\"Your PIN, then hash\""));
}

TEST(FlowSessionTest, KeysPressedDuringAPlayAreTypeAhead) {
  FlowRun run(CollectFlow);
  run.go("4,3,2,1,#");
  EXPECT_EQ(run.ended(), "transfer to queue q-4321") << run.dump();
  // The first key cut the intro; the PIN prompt was never needed.
  EXPECT_EQ(run.count("stop prompt"), 1);
  EXPECT_EQ(run.count("tts"), 1);
}

TEST(FlowSessionTest, PlayWithoutBargeInIgnoresKeys) {
  FlowRun run(R"(version: 1
start: legal
nodes:
  legal:
    type: play
    prompt: "This call is recorded"
    barge_in: false
    next: menu
  menu:
    type: menu
    prompt: "1 or 2"
    options: {"1": one, "2": two}
  one: {type: transfer, queue: one}
  two: {type: transfer, queue: two}
)");
  run.go("1,2");
  // "1" waited for the legal notice to finish, then chose; "2" came too late.
  EXPECT_EQ(run.ended(), "transfer to queue one") << run.dump();
  EXPECT_EQ(run.count("stop prompt #1"), 0);
}

constexpr std::string_view ListenFlow = R"(version: 1
start: account
nodes:
  account:
    type: listen
    prompt: "Say your account number"
    grammar: digits
    variable: account
    confidence: 0.6
    retries: 1
    next: confirm
    fallback: agent
  confirm:
    type: listen
    prompt: "Is ${account} right?"
    grammar: yes_no
    variable: ok
    next: check
  check:
    type: switch
    variable: ok
    cases: {"yes": done}
    next: account
  done:
    type: transfer
    queue: "acct-${account}"
  agent:
    type: transfer
    queue: agents
)";

TEST(FlowSessionTest, ListenRecognizesSpokenDigitsAndYes) {
  FlowRun run(ListenFlow);
  run.go("say:one two 3 四,say:yes");
  EXPECT_EQ(run.ended(), "transfer to queue acct-1234") << run.dump();
  EXPECT_THAT(run.dump(), HasSubstr("\"Is 1234 right?\""));
}

TEST(FlowSessionTest, ListenNoGoesBackAndLowConfidenceIsANoMatch) {
  FlowRun run(ListenFlow);
  run.go("say:five five,say:不是,say:six@0.3,say:seven,say:是的");
  EXPECT_EQ(run.ended(), "transfer to queue acct-7") << run.dump();
}

TEST(FlowSessionTest, RecognizerFailureTakesFallback) {
  FlowRun run(ListenFlow);
  run.go("fail-speech");
  EXPECT_EQ(run.ended(), "transfer to queue agents") << run.dump();
  EXPECT_EQ(run.driver->session().variable("error"), "recognizer failed: engine error");
}

TEST(FlowSessionTest, ListenWithoutSpeechIsRetriedThenFallsBack) {
  FlowRun run(ListenFlow);
  run.go("say:banana,wait");
  EXPECT_EQ(run.ended(), "transfer to queue agents") << run.dump();
}

constexpr std::string_view IntentFlow = R"(version: 1
start: ask
nodes:
  ask:
    type: intent
    prompt: "How can I help?"
    intents: {lost_card: lost, balance: bal}
    confidence: 0.7
    retries: 1
    no_match: agent
    fallback: agent
  lost: {type: transfer, queue: lost-cards}
  bal: {type: transfer, queue: balance}
  agent: {type: transfer, queue: general}
)";

TEST(FlowSessionTest, IntentRoutesThroughTheNlu) {
  FlowRun run(IntentFlow);
  run.go("say:I think I have a lost card");
  EXPECT_EQ(run.ended(), "transfer to queue lost-cards") << run.dump();
  EXPECT_EQ(run.driver->session().variable("intent"), "lost_card");
  EXPECT_EQ(run.driver->session().variable("speech_text"), "I think I have a lost card");
}

TEST(FlowSessionTest, UnknownIntentIsRetriedThenNoMatch) {
  FlowRun run(IntentFlow);
  run.go("say:weather,say:football");
  EXPECT_EQ(run.ended(), "transfer to queue general") << run.dump();
  EXPECT_EQ(run.count("classify"), 2);
}

TEST(FlowSessionTest, NluFailureTakesFallback) {
  DriverOptions options;
  options.nlu = [](const ClassifyIntent&) { return IntentAnswer{true, "", 0}; };
  FlowRun run(IntentFlow, options);
  run.go("say:balance");
  EXPECT_EQ(run.ended(), "transfer to queue general") << run.dump();
  EXPECT_THAT(run.driver->session().variable("error"), HasSubstr("nlu failed"));
}

constexpr std::string_view HttpFlow = R"yaml(version: 1
start: dip
variables: {base: "http://crm.test"}
nodes:
  dip:
    type: http
    url: "${base}/customers/${caller}"
    timeout: 2s
    extract: {tier: customer.tier, first_card: cards.0.state}
    next: route
    fallback: sorry
  route:
    type: switch
    variable: tier
    cases: {gold: vip}
    next: normal
  vip: {type: transfer, queue: "vip-${first_card}"}
  normal: {type: transfer, queue: normal}
  sorry:
    type: play
    prompt: "Sorry (${error})"
    next: normal
)yaml";

DriverOptions httpAnswer(HttpAnswer answer, std::string* url = nullptr) {
  DriverOptions options;
  options.session.caller = "+8613800000000";
  options.http = [answer, url](const HttpRequest& request) {
    if (url) {
      *url = request.url;
    }
    return answer;
  };
  return options;
}

TEST(FlowSessionTest, HttpExtractsJsonFieldsIntoVariables) {
  std::string url;
  FlowRun run(HttpFlow,
              httpAnswer({HttpAnswer::Kind::Response, 200,
                          R"({"customer": {"tier": "gold"}, "cards": [{"state": "active"}]})"},
                         &url));
  run.go("");
  EXPECT_EQ(url, "http://crm.test/customers/%2B8613800000000");
  EXPECT_EQ(run.ended(), "transfer to queue vip-active") << run.dump();
}

TEST(FlowSessionTest, HttpFailuresTakeTheFallback) {
  struct Case {
    HttpAnswer answer;
    std::string error;
  };
  for (const auto& c : std::vector<Case>{
           {{HttpAnswer::Kind::Response, 503, "busy"}, "http status 503"},
           {{HttpAnswer::Kind::Response, 200, "<html>"}, "http answer is not JSON"},
           {{HttpAnswer::Kind::Response, 200, R"({"cards": [{"state": "x"}], "customer": {}})"},
            "http answer has no `customer.tier`"},
           {{HttpAnswer::Kind::Failure, 0, "connection refused"},
            "http failed: connection refused"},
           {{HttpAnswer::Kind::Timeout, 0, ""}, "http timeout"},
       }) {
    FlowRun run(HttpFlow, httpAnswer(c.answer));
    run.go("");
    EXPECT_EQ(run.ended(), "transfer to queue normal") << run.dump();
    EXPECT_THAT(run.dump(), HasSubstr("Sorry (" + c.error + ")"));
  }
}

TEST(FlowSessionTest, HttpTimeoutCancelsTheRequestAndIgnoresItsLateAnswer) {
  RecordingHost host;
  SimulatedTime time;
  SystemTimeZones zones;
  FlowSession session(load(HttpFlow), host, time, zones, {});
  session.start();
  auto request = host.last<HttpRequest>();
  EXPECT_EQ(request.timeout, 2s);
  auto timer = host.last<StartTimer>();
  EXPECT_EQ(timer.after, 2s);
  session.onTimer(timer.id);
  EXPECT_EQ(host.last<CancelHttp>().id, request.id);
  EXPECT_EQ(session.currentNode(), "sorry");
  session.onHttpResult(request.id, 200, R"({"customer": {"tier": "gold"}})");
  EXPECT_EQ(session.currentNode(), "sorry");
  EXPECT_EQ(session.variable("tier"), "");
}

constexpr std::string_view HoursFlow = R"(version: 1
start: hours
nodes:
  hours:
    type: hours
    timezone: Asia/Shanghai
    open: {mon-fri: "09:00-18:00", sat: ["09:00-12:00", "14:00-16:00"]}
    holidays: [2026-10-01]
    next: open
    closed: closed
    fallback: unknown
  open: {type: transfer, queue: open}
  closed: {type: voicemail, mailbox: closed}
  unknown: {type: transfer, queue: unknown}
)";

TEST(FlowSessionTest, HoursFollowTheZoneAndHolidays) {
  struct Case {
    std::int64_t unix_seconds;
    std::string expected;
  };
  for (const auto& c : std::vector<Case>{
           {1795489200, "transfer to queue open"},             // Tue 2026-11-24 11:00 in Shanghai
           {1795525200, "voicemail box closed"},               // Tue 21:00
           {1795834800, "transfer to queue open"},             // Sat 11:00
           {1795834800 + 2 * 3600, "voicemail box closed"},    // Sat 13:00, between the windows
           {1795834800 + 3 * 3600, "transfer to queue open"},  // Sat 14:00, the second window
           {1795921200, "voicemail box closed"},               // Sunday
           {1790823600, "voicemail box closed"},               // Thu 2026-10-01, a holiday
       }) {
    FlowRun run(HoursFlow);
    advanceTo(run.time, c.unix_seconds);
    run.go("");
    EXPECT_EQ(run.ended(), c.expected) << c.unix_seconds << "\n" << run.dump();
  }
}

TEST(FlowSessionTest, UnknownTimeZoneTakesFallback) {
  std::string yaml(HoursFlow);
  yaml.replace(yaml.find("Asia/Shanghai"), 13, "Mars/Olympus");
  FlowRun run(yaml);
  run.go("");
  EXPECT_EQ(run.ended(), "transfer to queue unknown") << run.dump();
}

TEST(FlowSessionTest, LanguageChoiceChangesPromptsAndVoice) {
  FlowRun run(R"(version: 1
start: lang
languages: [en, zh]
voices: {en: en-us, zh: cmn}
nodes:
  lang:
    type: language
    prompt: {en: "English 1, 中文 2", zh: "English 1, 中文 2"}
    options: {"1": en, "2": zh}
    next: bye
  bye:
    type: hangup
    prompt: {en: "Goodbye", zh: "再见"}
)");
  run.go("2");
  EXPECT_EQ(run.ended(), "hang up") << run.dump();
  EXPECT_THAT(run.dump(), HasSubstr("tts zh/cmn \"再见\""));
  EXPECT_EQ(run.driver->session().variable("language"), "zh");
}

TEST(FlowSessionTest, SetAndSwitchUseVariables) {
  FlowRun run(R"(version: 1
start: mark
variables: {segment: retail}
nodes:
  mark:
    type: set
    variables: {route: "${segment}-${dialed}"}
    next: pick
  pick:
    type: switch
    variable: route
    cases: {"retail-95588": retail}
    next: other
  retail: {type: transfer, number: "+86${dialed}"}
  other: {type: transfer, queue: other}
)",
              DriverOptions{.session = {.caller = "1", .dialed = "95588"}});
  run.go("");
  EXPECT_EQ(run.ended(), "transfer to number +8695588") << run.dump();
}

constexpr std::string_view PromptFailFlow = R"(version: 1
start: greet
nodes:
  greet:
    type: play
    prompt: {file: /nonexistent/greet.wav}
    next: menu
  menu:
    type: menu
    prompt: "1 for sales"
    options: {"1": sales}
  sales:
    type: transfer
    prompt: {file: /nonexistent/bye.wav}
    queue: sales
)";

TEST(FlowSessionTest, PromptFailureWithoutFallbackTransfersToTheDefault) {
  DriverOptions options;
  options.failing_prompts = {"/nonexistent/greet.wav"};
  options.session.default_transfer = {TransferKind::Queue, "safety"};
  FlowRun run(PromptFailFlow, options);
  run.go("1");
  EXPECT_EQ(run.ended(), "transfer to queue safety (because: prompt failed: cannot play)")
      << run.dump();
}

TEST(FlowSessionTest, TerminalPromptFailureStillTransfers) {
  DriverOptions options;
  options.failing_prompts = {"/nonexistent/bye.wav"};
  FlowRun run(PromptFailFlow, options);
  run.go("1");
  EXPECT_EQ(run.ended(), "transfer to queue sales") << run.dump();
}

TEST(FlowSessionTest, CallerHangupStopsEverythingWithoutATransfer) {
  RecordingHost host;
  SimulatedTime time;
  SystemTimeZones zones;
  FlowSession session(load(MenuFlow), host, time, zones, {});
  session.start();
  session.onPromptFinished(host.last<PlayPrompt>().id);
  auto timer = host.last<StartTimer>();
  auto listen = host.last<StartListening>();
  session.onCallerHangup();
  ASSERT_TRUE(session.finished());
  EXPECT_TRUE(session.outcome().caller_hung_up);
  EXPECT_EQ(host.last<CancelTimer>().id, timer.id);
  EXPECT_EQ(host.last<StopListening>().id, listen.id);
  EXPECT_TRUE(host.all<Transfer>().empty());
  session.onTimer(timer.id);
  session.onDigit('1');
  EXPECT_TRUE(host.all<Transfer>().empty());
}

TEST(FlowSessionTest, UnvalidatedLoopIsCutAndTransferred) {
  // A flow built in code skips validation; the session's own guard still saves the caller.
  auto flow = std::make_shared<Flow>();
  flow->start = "a";
  Node a;
  a.id = "a";
  a.kind = NodeKind::Set;
  a.assignments = {{"x", "1"}};
  a.next = "b";
  Node b = a;
  b.id = "b";
  b.next = "a";
  flow->nodes = {{"a", a}, {"b", b}};
  RecordingHost host;
  SimulatedTime time;
  SystemTimeZones zones;
  FlowSession session(flow, host, time, zones, {});
  session.start();
  ASSERT_TRUE(session.finished());
  EXPECT_EQ(describe(session.outcome().action),
            "transfer to queue general (because: loop without input)");
}

TEST(FlowSessionTest, CallKeepsItsFlowVersionWhenTheFlowIsReplaced) {
  FlowCatalog catalog;
  catalog.install("main", load(MenuFlow));
  std::string v2_yaml(MenuFlow);
  v2_yaml.replace(v2_yaml.find("queue: sales"), 12, "queue: sales-v2");
  RecordingHost host;
  SimulatedTime time;
  SystemTimeZones zones;
  FlowSession old_call(catalog.find("main"), host, time, zones, {});
  old_call.start();
  catalog.install("main", load(v2_yaml));  // an administrator saved a new version
  FlowSession new_call(catalog.find("main"), host, time, zones, {});
  new_call.start();
  old_call.onDigit('1');
  new_call.onDigit('1');
  EXPECT_EQ(std::get<Transfer>(old_call.outcome().action).target.id, "sales");
  EXPECT_EQ(std::get<Transfer>(new_call.outcome().action).target.id, "sales-v2");
  EXPECT_EQ(catalog.names(), std::vector<std::string>{"main"});
}

TEST(FlowSessionTest, CallerValuesCannotRewriteAnHttpUrl) {
  std::string url;
  auto options = httpAnswer({HttpAnswer::Kind::Failure, 0, "down"}, &url);
  options.session.caller = "1/../admin?all=1";
  FlowRun run(HttpFlow, options);
  run.go("");
  EXPECT_EQ(url, "http://crm.test/customers/1%2F..%2Fadmin%3Fall%3D1");
}

}  // namespace
}  // namespace kefu::ivr
