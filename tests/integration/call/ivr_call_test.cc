// IVR flows on real calls (issue 6): baresip callers dial a Flow entry point of a whole site.
// One navigates the demo bank flow (deploy/flows/bank.yaml) by RFC 4733 keys to the lost-cards
// queue, where an agent gets the call; one gives no input, is prompted again and again, then
// waits in the default queue, never dropped; what each caller hears is checked in its recording.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/call/call_site.h"

namespace kefu::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// The prompt of the test flow: away from the built-in music on hold (523, 659, 784, 880 Hz), the
// voicemail beep (1 kHz) and the parties' tones.
constexpr double PromptHz = 1500;
constexpr double AgentHz = 600;
constexpr double CallerHz = 400;

/** A menu whose prompt is a 600 ms tone, waiting 1 s for a key, twice again, then (no input and
 *  no no_input branch) the default queue; key 1 leads to lost-cards. */
constexpr const char* RetryFlow = R"(version: 1
name: retry
start: ask
nodes:
  ask:
    type: menu
    prompt: {file: prompt.wav}
    options: {"1": card}
    timeout: 1s
    retries: 2
  card:
    type: transfer
    queue: lost-cards
)";

class IvrCallTest : public CallSiteFixture {
 protected:
  void configureCalls(server::Config& config) override {
    const auto flows = dir_ / "flows";
    std::filesystem::create_directories(flows);
    std::filesystem::copy_file(std::filesystem::path(KEFU_SOURCE_DIR) / "deploy/flows/bank.yaml",
                               flows / "bank.yaml");
    std::ofstream(flows / "retry.yaml") << RetryFlow;
    writeToneWav((flows / "prompt.wav").string(), PromptHz, 0.6);
    config.ivr.flows_dir = flows.string();
    config.ivr.default_queue = "general";
    config.ivr.tts_cache_dir = (dir_ / "tts").string();
    caller_wav_ = writeToneWav((dir_ / "caller.wav").string(), CallerHz, 60);
    agent_wav_ = writeToneWav((dir_ / "agent.wav").string(), AgentHz, 60);
  }

  /** Creates the queues the flows name (by name, as people write them) and the flow entry
   *  points; @return the queue ids by name. */
  std::map<std::string, std::string> addQueuesAndLines() {
    std::map<std::string, std::string> ids;
    for (const char* name : {"general", "lost-cards", "loans"}) {
      ids[name] = created("/api/v1/queues", {{"name", name}});
    }
    created("/api/v1/entry-points",
            {{"number", "4010"}, {"target", {{"kind", "flow"}, {"id", "bank"}}}});
    created("/api/v1/entry-points",
            {{"number", "4020"}, {"target", {{"kind", "flow"}, {"id", "retry"}}}});
    return ids;
  }

  /** @return the stored events of type `type` of call `id` so far (not waiting for its end). */
  std::vector<Json> eventsSoFar(const std::string& id, const std::string& type) {
    auto reply = client().get("/api/v1/calls/" + id + "/events");
    if (reply.status != 200) {
      return {};
    }
    return eventsOfType(Json::parse(reply.body)["items"], type);
  }

  /** Waits up to `timeout` for call `id` to have an event of `type`; @return the first one. */
  Json waitEvent(const std::string& id, const std::string& type,
                 std::chrono::milliseconds timeout) {
    const auto until = Clock::now() + timeout;
    while (Clock::now() < until) {
      auto found = eventsSoFar(id, type);
      if (!found.empty()) {
        return found.front();
      }
      std::this_thread::sleep_for(100ms);
    }
    return nullptr;
  }

  std::string caller_wav_;
  std::string agent_wav_;
};

/** @return the runs of consecutive 200 ms windows whose dominant frequency is `hz`, as (first
 *  window, length) pairs. */
std::vector<std::pair<std::size_t, std::size_t>> toneRuns(const Audio& audio, double hz) {
  std::vector<std::pair<std::size_t, std::size_t>> runs;
  const auto windows = windowFrequencies(audio);
  for (std::size_t i = 0; i < windows.size(); ++i) {
    if (!nearTone(windows[i], hz)) {
      continue;
    }
    if (!runs.empty() && runs.back().first + runs.back().second == i) {
      ++runs.back().second;
    } else {
      runs.emplace_back(i, 1);
    }
  }
  return runs;
}

/** @return the windows' frequencies in one line, for failure messages. */
std::string describe(const std::vector<double>& windows) {
  std::string out;
  for (double f : windows) {
    out += std::to_string(static_cast<int>(f)) + " ";
  }
  return out;
}

TEST_P(IvrCallTest, ACallerNavigatesTheBankFlowByKeysToTheLostCardsQueueAndAnAgent) {
  auto queues = addQueuesAndLines();
  auto& caller = addCaller("customer", caller_wav_);
  ASSERT_TRUE(caller.command("dial", dial("4010")));
  ASSERT_TRUE(caller.waitEvent("CALL_ESTABLISHED", 10s)) << caller.log();
  const auto call = callOf("customer", "in_ivr");
  ASSERT_FALSE(call.is_null());
  const std::string id = call["id"];

  // The welcome prompt (TTS) is playing or about to: English, then the lost-card key, each
  // interrupting the prompt it lands in.
  std::this_thread::sleep_for(1500ms);
  ASSERT_TRUE(caller.command("sndcode", "1"));
  std::this_thread::sleep_for(1500ms);
  ASSERT_TRUE(caller.command("sndcode", "2"));

  const auto queued = callOf("customer", "queued", 15s);
  ASSERT_FALSE(queued.is_null()) << caller.log();
  EXPECT_EQ(queued["queue_id"], queues["lost-cards"]);
  const auto transferred = waitEvent(id, "transferred", 5s);
  ASSERT_FALSE(transferred.is_null());
  EXPECT_EQ(transferred["target"], "queue:" + queues["lost-cards"]);
  EXPECT_EQ(transferred["cause"], "ivr");  // the flow chose it: no failure on the way
  std::string keys;
  for (const auto& e : eventsSoFar(id, "dtmf")) {
    keys += e["detail"].get<std::string>();
    EXPECT_EQ(e["cause"], "rfc4733");
  }
  EXPECT_EQ(keys, "12");

  // An agent of lost-cards comes in and gets the waiting caller.
  auto& agent = addAgent("2001", agent_wav_);
  const auto talking = callOf("customer", "talking", 20s);
  ASSERT_FALSE(talking.is_null()) << agent.log();
  EXPECT_EQ(talking["agent_id"], agent_ids_["2001"]);
  std::this_thread::sleep_for(1500ms);
  ASSERT_TRUE(caller.command("hangup"));
  expectNothingLeft();
  EXPECT_EQ(metric("kefu_ivr_sessions_active"), 0);
  EXPECT_GE(metric("kefu_ivr_prompts_played_total"), 1);
}

TEST_P(IvrCallTest, ACallerWhoGivesNoInputIsPromptedThreeTimesThenQueuedNeverDropped) {
  auto queues = addQueuesAndLines();
  auto& caller = addCaller("silent", caller_wav_);
  const auto dialed = Clock::now();
  ASSERT_TRUE(caller.command("dial", dial("4020")));
  ASSERT_TRUE(caller.waitEvent("CALL_ESTABLISHED", 10s)) << caller.log();
  const auto established_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - dialed).count();
  const auto call = callOf("silent", "in_ivr");
  ASSERT_FALSE(call.is_null());
  const std::string id = call["id"];

  // Three prompts (0.6 s each) with 1 s to answer after each: about 5 s, then the default queue.
  const auto answered = Clock::now();
  const auto queued = callOf("silent", "queued", 15s);
  ASSERT_FALSE(queued.is_null());
  const auto in_ivr_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - answered).count();
  EXPECT_GE(in_ivr_ms, 4500);  // it waited for keys after each prompt
  EXPECT_LT(in_ivr_ms, 8000);
  EXPECT_EQ(queued["queue_id"], queues["general"]);
  const auto transferred = waitEvent(id, "transferred", 5s);
  ASSERT_FALSE(transferred.is_null());
  EXPECT_EQ(transferred["target"], "queue:" + queues["general"]);
  EXPECT_EQ(transferred["cause"], "ivr_failure");
  EXPECT_THAT(transferred["detail"].get<std::string>(), ::testing::HasSubstr("no input"));

  // Still up: the caller hears music in the queue for a while, and nothing ended the call.
  std::this_thread::sleep_for(3s);
  EXPECT_FALSE(callOf("silent", "queued", 1s).is_null());
  EXPECT_TRUE(eventsSoFar(id, "ended").empty());
  ASSERT_TRUE(caller.command("hangup"));
  expectNothingLeft();

  // What the caller heard: the prompt three times, then the music on hold. Kefu sends no packets
  // while the flow waits for a key, so the recording (of what arrived) has the prompts back to
  // back: 3 x 0.6 s of the prompt's tone.
  const auto recordings = caller.receivedRecordings();
  ASSERT_FALSE(recordings.empty()) << caller.log();
  const auto heard = readChannel(recordings.back(), 0);
  const auto prompts = toneRuns(heard, PromptHz);
  std::size_t prompt_windows = 0;
  for (const auto& run : prompts) {
    prompt_windows += run.second;
  }
  EXPECT_EQ(std::lround(double(prompt_windows) * 0.2 / 0.6), 3)
      << "heard: " << describe(windowFrequencies(heard));
  EXPECT_GT(shareOfTone(heard, 523.25) + shareOfTone(heard, 659.25) + shareOfTone(heard, 783.99) +
                shareOfTone(heard, 880.0),
            0.1);
  if (!prompts.empty()) {
    // Figures for docs/ivr.md: from dialing to the answer, and from the answer (the recording's
    // start) to the first prompt audio, to 200 ms.
    std::printf(
        "figure: ivr INVITE to 200 OK %lld ms; first prompt audio in the recording's "
        "window %zu (200 ms windows); answer to queued %lld ms\n",
        static_cast<long long>(established_ms), prompts.front().first,
        static_cast<long long>(in_ivr_ms));
  }
}

TEST_P(IvrCallTest, TheCallerHearsTheSpokenPromptsWhileTheIvrPlays) {
  addQueuesAndLines();
  auto& caller = addCaller("listener", caller_wav_);
  ASSERT_TRUE(caller.command("dial", dial("4010")));
  ASSERT_TRUE(caller.waitEvent("CALL_ESTABLISHED", 10s)) << caller.log();
  const auto in_ivr = callOf("listener", "in_ivr");
  ASSERT_FALSE(in_ivr.is_null())
      << client().get("/api/v1/calls/" + onlyCall()["id"].get<std::string>() + "/events").body;
  // The bilingual welcome (espeak-ng) lasts several seconds; listen to 3 s of it.
  std::this_thread::sleep_for(3s);
  ASSERT_FALSE(callOf("listener", "in_ivr", 1s).is_null());  // still in the menu, not queued
  ASSERT_TRUE(caller.command("hangup"));
  expectNothingLeft();
  EXPECT_EQ(metric("kefu_ivr_sessions_active"), 0);

  const auto recordings = caller.receivedRecordings();
  ASSERT_FALSE(recordings.empty()) << caller.log();
  const auto heard = readChannel(recordings.back(), 0);
  const auto windows = windowFrequencies(heard);
  ASSERT_FALSE(windows.empty());
  // Speech: most 200 ms windows carry sound, at voice frequencies rather than the caller's tone
  // or the music on hold.
  const auto voiced = std::count_if(windows.begin(), windows.end(), [](double f) {
    return f > 80 && f < 4000 && !nearTone(f, CallerHz);
  });
  EXPECT_GT(double(voiced) / double(windows.size()), 0.3)
      << voiced << " of " << windows.size() << " windows voiced";
  EXPECT_LT(shareOfTone(heard, 523.25) + shareOfTone(heard, 880.0), 0.2);  // not the queue
}

INSTANTIATE_TEST_SUITE_P(Sqlite, IvrCallTest, testing::Values(Backend::Sqlite), backendName);

}  // namespace
}  // namespace kefu::test
