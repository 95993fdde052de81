// interaction::CallFlows, the IVR host of real calls, over a fake call control on simulated time:
// prompts played and their ends, keys, timeouts and retries, transfers with queue names resolved,
// speech without a recognizer, voicemail, and the caller leaving mid-flow.

#include "interaction/call_flows.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/blocking_pool.h"
#include "core/event_loop.h"
#include "core/time_source.h"
#include "ivr/flow_loader.h"
#include "media/prompt.h"

namespace kefu::interaction {
namespace {

using namespace std::chrono_literals;

/** Call control as the IVR sees it, recording each request as a line. */
class FakeIvrCalls final : public call::IvrCalls {
 public:
  std::vector<std::string> log;
  std::uint64_t next_play = 100;
  std::uint64_t last_play = 0;

  Result<std::uint64_t> playToCaller(std::string_view call_id, call::PromptPtr prompt) override {
    log.push_back("play " + std::string(call_id) + " " + std::to_string(prompt->samples.size()));
    last_play = next_play++;
    return last_play;
  }
  void stopCallerPlay(std::string_view call_id) override {
    log.push_back("stop " + std::string(call_id));
  }
  Result<void> setCallerTap(std::string_view call_id,
                            std::shared_ptr<call::CallerAudioSink> sink) override {
    log.push_back(std::string(sink ? "tap " : "untap ") + std::string(call_id));
    return {};
  }
  Result<void> recordCaller(std::string_view call_id, const std::string& path) override {
    log.push_back("record " + std::string(call_id) + " " + path);
    return {};
  }
  Result<void> ivrTransfer(std::string_view call_id, const call::Target& target,
                           std::string_view reason) override {
    log.push_back("transfer " + std::string(call_id) + " " +
                  std::string(call::toString(target.kind)) + ":" + target.id +
                  (reason.empty() ? "" : " (" + std::string(reason) + ")"));
    return {};
  }
  Result<void> ivrCallback(std::string_view call_id, std::string_view queue,
                           std::string_view number) override {
    log.push_back("callback " + std::string(call_id) + " " + std::string(queue) + " " +
                  std::string(number));
    return {};
  }
  Result<void> ivrHangup(std::string_view call_id) override {
    log.push_back("hangup " + std::string(call_id));
    return {};
  }
  std::size_t count(const std::string& prefix) const {
    return std::count_if(log.begin(), log.end(),
                         [&](const std::string& l) { return l.starts_with(prefix); });
  }
  bool saw(const std::string& line) const {
    return std::find(log.begin(), log.end(), line) != log.end();
  }
};

constexpr const char* MenuFlow = R"(version: 1
name: menu
start: ask
nodes:
  ask:
    type: menu
    prompt: {file: ask.wav}
    options: {"1": cards, "3": message}
    words: {cards: cards}
    timeout: 2s
    retries: 2
  cards:
    type: transfer
    queue: lost-cards
  message:
    type: voicemail
    mailbox: "general/../x"
)";

class CallFlowsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    loop.runReadyForTest();  // this thread is the loop's
    pool.shutdown();         // tasks run at once on the submitting thread: deterministic
    CallFlowsParts parts;
    parts.prompt_loader = [this](const std::string& path) -> Result<call::PromptPtr> {
      loaded.push_back(path);
      if (path.ends_with("missing.wav")) {
        return Error::notFound(path);
      }
      auto prompt = std::make_shared<media::Prompt>();
      prompt->samples.assign(800, 100);
      return call::PromptPtr(prompt);
    };
    parts.queue_id_of = [](const std::string& name) {
      return name == "lost-cards" ? std::string("q_cards") : std::string();
    };
    CallFlowsConfig config;
    config.default_queue = "general";
    config.recording_dir = "/rec";
    flows = std::make_unique<CallFlows>(loop, time, pool, calls, config, std::move(parts));
    auto loaded_flow = ivr::loadFlow(MenuFlow, "/flows/menu.yaml");
    ASSERT_TRUE(loaded_flow.flow) << (loaded_flow.errors.empty() ? ""
                                                                 : loaded_flow.errors[0].message);
    flows->catalog().install("menu", loaded_flow.flow);
  }
  void TearDown() override { loop.stop(); }

  void run() { loop.runReadyForTest(); }
  void advance(std::chrono::milliseconds by) {
    time.advance(by);
    run();
  }
  /** The prompt playing now ends. */
  void promptEnds() {
    flows->promptFinished("call_1", calls.last_play);
    run();
  }

  SimulatedTime time;
  EventLoop loop{time};
  BlockingPool pool{1};
  FakeIvrCalls calls;
  std::vector<std::string> loaded;
  std::unique_ptr<CallFlows> flows;
};

TEST_F(CallFlowsTest, AKeyChoosesAndTheQueueNameBecomesItsId) {
  ASSERT_TRUE(flows->start("call_1", "menu", "+861391", "4010").ok());
  run();
  EXPECT_EQ(calls.count("play call_1"), 1u);
  EXPECT_EQ(loaded, std::vector<std::string>{"/flows/ask.wav"});
  promptEnds();
  flows->digit("call_1", '1');
  run();
  EXPECT_TRUE(calls.saw("transfer call_1 queue:q_cards")) << calls.log.back();
  EXPECT_EQ(flows->counters().transfers.load(), 1u);
  run();  // the run is dropped after the transfer
  EXPECT_EQ(flows->counters().sessions_active.load(), 0);
  // A late key for the call is ignored.
  flows->digit("call_1", '3');
  run();
  EXPECT_EQ(calls.count("transfer"), 1u);
}

TEST_F(CallFlowsTest, AKeyDuringThePromptStopsIt) {
  ASSERT_TRUE(flows->start("call_1", "menu", "+861391", "4010").ok());
  run();
  flows->digit("call_1", '1');
  run();
  EXPECT_TRUE(calls.saw("stop call_1"));
  EXPECT_TRUE(calls.saw("transfer call_1 queue:q_cards"));
}

TEST_F(CallFlowsTest, NoInputIsPromptedAgainThenGoesToTheDefaultQueue) {
  ASSERT_TRUE(flows->start("call_1", "menu", "+861391", "4010").ok());
  run();
  for (int attempt = 0; attempt < 3; ++attempt) {
    EXPECT_EQ(calls.count("play call_1"), std::size_t(attempt + 1));
    promptEnds();
    advance(1999ms);
    EXPECT_EQ(calls.count("transfer"), 0u);  // still waiting for a key
    advance(1ms);
  }
  EXPECT_EQ(calls.count("play call_1"), 3u);  // the file was loaded once, played three times
  EXPECT_EQ(loaded.size(), 1u);
  ASSERT_EQ(calls.count("transfer"), 1u);
  EXPECT_TRUE(calls.log.back().starts_with("transfer call_1 queue:general (")) << calls.log.back();
  EXPECT_EQ(flows->counters().failure_transfers.load(), 1u);
}

TEST_F(CallFlowsTest, WithoutARecognizerAMenuWithWordsStillWaitsForKeys) {
  ASSERT_TRUE(flows->start("call_1", "menu", "+861391", "4010").ok());
  run();
  promptEnds();
  EXPECT_EQ(calls.count("transfer"), 0u);
  EXPECT_EQ(calls.count("tap"), 0u);
  EXPECT_GE(flows->counters().listens_unserved.load(), 1u);
  flows->digit("call_1", '1');
  run();
  EXPECT_TRUE(calls.saw("transfer call_1 queue:q_cards"));
}

TEST_F(CallFlowsTest, AnUnknownFlowIsRefusedSoCallControlUsesTheDefaultQueue) {
  EXPECT_EQ(flows->start("call_1", "nope", "+861391", "4010").error().code, ErrorCode::NotFound);
  run();
  EXPECT_TRUE(calls.log.empty());
}

TEST_F(CallFlowsTest, TheCallerLeavingStopsTheFlow) {
  ASSERT_TRUE(flows->start("call_1", "menu", "+861391", "4010").ok());
  run();
  promptEnds();
  flows->callerGone("call_1");
  EXPECT_EQ(flows->counters().sessions_active.load(), 0);
  const auto before = calls.log.size();
  advance(60s);  // the flow's timers were cancelled: no retry, no transfer
  flows->digit("call_1", '1');
  run();
  EXPECT_EQ(calls.log.size(), before);
}

TEST_F(CallFlowsTest, AVoicemailBeepsThenRecordsTheCallerUntilTheLimit) {
  ASSERT_TRUE(flows->start("call_1", "menu", "+861391", "4010").ok());
  run();
  flows->digit("call_1", '3');
  run();
  ASSERT_EQ(calls.count("play call_1"), 2u);  // the menu, then the beep
  EXPECT_EQ(calls.count("record"), 0u);       // not before the beep ends
  promptEnds();
  // The mailbox cannot climb out of the voicemail directory.
  EXPECT_TRUE(calls.saw("record call_1 /rec/voicemail/generalx/call_1.wav")) << calls.log.back();
  advance(119s);
  EXPECT_EQ(calls.count("hangup"), 0u);
  advance(1s);
  EXPECT_TRUE(calls.saw("hangup call_1"));
  EXPECT_EQ(flows->counters().voicemails.load(), 1u);
}

TEST_F(CallFlowsTest, AMissingPromptFileTakesTheFallbackNotTheCaller) {
  auto missing = ivr::loadFlow(R"(version: 1
name: broken
start: ask
nodes:
  ask:
    type: menu
    prompt: {file: missing.wav}
    options: {"1": cards}
  cards:
    type: transfer
    queue: lost-cards
)",
                               "/flows/broken.yaml");
  ASSERT_TRUE(missing.flow);
  flows->catalog().install("broken", missing.flow);
  ASSERT_TRUE(flows->start("call_1", "broken", "+861391", "4010").ok());
  run();
  EXPECT_EQ(calls.count("play"), 0u);
  ASSERT_EQ(calls.count("transfer"), 1u);
  EXPECT_TRUE(calls.log.back().starts_with("transfer call_1 queue:general (")) << calls.log.back();
  EXPECT_EQ(flows->counters().prompts_failed.load(), 1u);
}

}  // namespace
}  // namespace kefu::interaction
