// Calls end to end through a real site: baresip phones as the caller and as agents' phones that
// register with digest authentication, the ACD choosing the agent, and the audio checked in what
// each party (and Kefu's own recorder) captured.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "media/tone.h"
#include "support/call/call_site.h"
#include "support/sip/sipp_process.h"

namespace kefu::test {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

constexpr double CallerHz = 1000;
constexpr double AgentHz = 440;
constexpr double SecondAgentHz = 700;

/** The notes of the built-in music on hold (server/site_calls.cc). */
constexpr std::array<double, 4> MusicNotes{523.25, 659.25, 783.99, 880.0};

bool isMusic(double f) {
  return std::any_of(MusicNotes.begin(), MusicNotes.end(),
                     [f](double n) { return nearTone(f, n); });
}

class CallFlowTest : public CallSiteFixture {
 protected:
  void configureCalls(server::Config& config) override {
    config.calls.record = true;
    const std::string name = testing::UnitTest::GetInstance()->current_test_info()->name();
    if (name.find("CallLimit") != std::string::npos) {
      config.calls.max_calls = 1;
    }
    caller_wav_ = writeToneWav((dir_ / "caller.wav").string(), CallerHz, 60);
    agent_wav_ = writeToneWav((dir_ / "agent.wav").string(), AgentHz, 120);
    second_wav_ = writeToneWav((dir_ / "second.wav").string(), SecondAgentHz, 120);
  }

  Softphone& caller() { return addCaller("caller", caller_wav_); }

  std::string caller_wav_;
  std::string agent_wav_;
  std::string second_wav_;
};

TEST_P(CallFlowTest, CallerReachesARegisteredAgentAndEachHearsTheOther) {
  addQueue("5000");
  auto& agent = addAgent("2001", agent_wav_);
  auto& phone = caller();
  ASSERT_TRUE(phone.command("dial", dial("5000")));
  ASSERT_TRUE(phone.waitEvent("CALL_ESTABLISHED", 10s)) << phone.log();
  ASSERT_TRUE(agent.waitEvent("CALL_ESTABLISHED", 10s)) << agent.log();
  const auto call = onlyCall("talking");
  EXPECT_EQ(call["agent_id"], agent_ids_["2001"]);
  std::this_thread::sleep_for(3s);
  ASSERT_TRUE(phone.command("hangup"));
  EXPECT_TRUE(agent.waitEvent("CALL_CLOSED", 10s)) << agent.log();
  expectNothingLeft();
  EXPECT_THAT(eventTypes(call["id"]),
              testing::ElementsAre("created", "ringing", "answered", "recording_started",
                                   "recording_stopped", "ended"));

  phone.stop();
  agent.stop();
  auto heard_by_caller = phone.receivedRecordings();
  auto heard_by_agent = agent.receivedRecordings();
  ASSERT_EQ(heard_by_caller.size(), 1u);
  ASSERT_EQ(heard_by_agent.size(), 1u);
  EXPECT_GT(shareOfTone(readChannel(heard_by_caller[0], 0), AgentHz), 0.5);
  EXPECT_GT(shareOfTone(readChannel(heard_by_agent[0], 0), CallerHz), 0.6);
  // Kefu's own recording: the caller on the left, the agent on the right.
  std::vector<std::filesystem::path> recordings;
  for (const auto& f : std::filesystem::directory_iterator(dir_ / "recordings")) {
    recordings.push_back(f.path());
  }
  ASSERT_EQ(recordings.size(), 1u);
  EXPECT_GT(shareOfTone(readChannel(recordings[0].string(), 0), CallerHz), 0.6);
  EXPECT_GT(shareOfTone(readChannel(recordings[0].string(), 1), AgentHz), 0.6);
}

TEST_P(CallFlowTest, AgentPhoneTransfersBlindToASecondAgent) {
  addQueue("5000");
  auto& first = addAgent("2001", agent_wav_);
  auto& phone = caller();
  ASSERT_TRUE(phone.command("dial", dial("5000")));
  ASSERT_TRUE(first.waitEvent("CALL_ESTABLISHED", 10s)) << first.log();
  auto& second = addAgent("2002", second_wav_);
  std::this_thread::sleep_for(1s);
  // The first agent's phone sends REFER to extension 2002.
  ASSERT_TRUE(first.command("transfer", dial("2002")));
  ASSERT_TRUE(second.waitEvent("CALL_ESTABLISHED", 10s)) << second.log();
  EXPECT_TRUE(first.seenEvent("CALL_CLOSED", 10s)) << first.log();
  std::this_thread::sleep_for(3s);
  const auto call = onlyCall();
  ASSERT_TRUE(phone.command("hangup"));
  EXPECT_TRUE(second.waitEvent("CALL_CLOSED", 10s)) << second.log();
  expectNothingLeft();
  auto types = eventTypes(call["id"]);
  EXPECT_NE(std::find(types.begin(), types.end(), "transferred"), types.end());
  phone.stop();
  second.stop();
  ASSERT_EQ(phone.receivedRecordings().size(), 1u);
  ASSERT_EQ(second.receivedRecordings().size(), 1u);
  const auto heard = windowFrequencies(readChannel(phone.receivedRecordings()[0], 0));
  // The caller heard the first agent, then the second one.
  auto first_at =
      std::find_if(heard.begin(), heard.end(), [](double f) { return nearTone(f, AgentHz); });
  auto second_at = std::find_if(heard.rbegin(), heard.rend(),
                                [](double f) { return nearTone(f, SecondAgentHz); });
  ASSERT_NE(first_at, heard.end());
  ASSERT_NE(second_at, heard.rend());
  EXPECT_LT(first_at - heard.begin(), heard.rend() - second_at);
  EXPECT_GT(std::count_if(heard.begin(), heard.end(),
                          [](double f) { return nearTone(f, SecondAgentHz); }),
            8);
  EXPECT_GT(shareOfTone(readChannel(second.receivedRecordings()[0], 0), CallerHz), 0.6);
}

TEST_P(CallFlowTest, HoldPlaysMusicToTheCallerThenTheAgentAgain) {
  addQueue("5000");
  auto& agent = addAgent("2001", agent_wav_);
  auto& phone = caller();
  ASSERT_TRUE(phone.command("dial", dial("5000")));
  ASSERT_TRUE(agent.waitEvent("CALL_ESTABLISHED", 10s)) << agent.log();
  const std::string id = onlyCall()["id"];
  std::this_thread::sleep_for(2s);
  auto held = client().post("/api/v1/calls/" + id + "/hold", "{}");
  ASSERT_EQ(held.status, 200) << held.body;
  EXPECT_EQ(Json::parse(held.body)["state"], "held");
  std::this_thread::sleep_for(3s);
  auto resumed = client().post("/api/v1/calls/" + id + "/resume", "{}");
  ASSERT_EQ(resumed.status, 200) << resumed.body;
  EXPECT_EQ(Json::parse(resumed.body)["state"], "talking");
  std::this_thread::sleep_for(2s);
  ASSERT_TRUE(phone.command("hangup"));
  expectNothingLeft();
  EXPECT_THAT(eventTypes(id), testing::IsSupersetOf({"held", "resumed"}));
  phone.stop();
  ASSERT_EQ(phone.receivedRecordings().size(), 1u);
  const auto heard = windowFrequencies(readChannel(phone.receivedRecordings()[0], 0));
  // Agent, then music (at least 1.5 s of it), then the agent again.
  auto music = std::find_if(heard.begin(), heard.end(), isMusic);
  auto agent_before =
      std::find_if(heard.begin(), heard.end(), [](double f) { return nearTone(f, AgentHz); });
  auto agent_after =
      std::find_if(heard.rbegin(), heard.rend(), [](double f) { return nearTone(f, AgentHz); });
  ASSERT_NE(music, heard.end());
  ASSERT_NE(agent_before, heard.end());
  EXPECT_LT(agent_before, music);
  const auto last_music = std::find_if(heard.rbegin(), heard.rend(), isMusic);
  EXPECT_LT(heard.rend() - last_music, heard.rend() - agent_after);
  EXPECT_GE(std::count_if(heard.begin(), heard.end(), isMusic), 8);
}

TEST_P(CallFlowTest, AttendedTransferThroughTheApi) {
  addQueue("5000");
  auto& first = addAgent("2001", agent_wav_);
  auto& second = addAgent("2002", second_wav_);
  // Only the first agent is ready for the queue: the second is consulted by extension.
  ASSERT_EQ(
      client()
          .post("/api/v1/agents/" + agent_ids_["2002"] + "/not-ready", R"({"reason":"break"})")
          .status,
      200);
  auto& phone = caller();
  ASSERT_TRUE(phone.command("dial", dial("5000")));
  ASSERT_TRUE(first.waitEvent("CALL_ESTABLISHED", 10s)) << first.log();
  const std::string id = onlyCall()["id"];
  std::this_thread::sleep_for(1s);
  auto consult = client().post("/api/v1/calls/" + id + "/consult",
                               R"({"target":{"kind":"extension","id":"2002"}})");
  ASSERT_EQ(consult.status, 200) << consult.body;
  EXPECT_EQ(Json::parse(consult.body)["state"], "consulting");
  ASSERT_TRUE(second.waitEvent("CALL_ESTABLISHED", 10s)) << second.log();
  std::this_thread::sleep_for(2s);
  auto complete = client().post("/api/v1/calls/" + id + "/consult/complete", "{}");
  ASSERT_EQ(complete.status, 200) << complete.body;
  EXPECT_TRUE(first.seenEvent("CALL_CLOSED", 10s)) << first.log();
  std::this_thread::sleep_for(3s);
  ASSERT_TRUE(phone.command("hangup"));
  EXPECT_TRUE(second.waitEvent("CALL_CLOSED", 10s)) << second.log();
  expectNothingLeft();
  first.stop();
  second.stop();
  phone.stop();
  // The first agent heard the caller, then (while consulting) the second agent.
  const auto first_heard = windowFrequencies(readChannel(first.receivedRecordings()[0], 0));
  EXPECT_GE(std::count_if(first_heard.begin(), first_heard.end(),
                          [](double f) { return nearTone(f, SecondAgentHz); }),
            5);
  // The caller heard music during the consultation and the second agent at the end.
  const auto heard = windowFrequencies(readChannel(phone.receivedRecordings()[0], 0));
  EXPECT_GE(std::count_if(heard.begin(), heard.end(), isMusic), 5);
  auto last = std::find_if(heard.rbegin(), heard.rend(), [](double f) { return f > 0; });
  ASSERT_NE(last, heard.rend());
  EXPECT_TRUE(nearTone(*last, SecondAgentHz)) << *last;
  EXPECT_GT(shareOfTone(readChannel(second.receivedRecordings()[0], 0), CallerHz), 0.3);
}

TEST_P(CallFlowTest, ThreeWayConferenceThroughTheApi) {
  addQueue("5000");
  auto& first = addAgent("2001", agent_wav_);
  auto& second = addAgent("2002", second_wav_);
  ASSERT_EQ(
      client()
          .post("/api/v1/agents/" + agent_ids_["2002"] + "/not-ready", R"({"reason":"break"})")
          .status,
      200);
  auto& phone = caller();
  ASSERT_TRUE(phone.command("dial", dial("5000")));
  ASSERT_TRUE(first.waitEvent("CALL_ESTABLISHED", 10s)) << first.log();
  const std::string id = onlyCall()["id"];
  ASSERT_EQ(client()
                .post("/api/v1/calls/" + id + "/consult",
                      R"({"target":{"kind":"extension","id":"2002"}})")
                .status,
            200);
  ASSERT_TRUE(second.waitEvent("CALL_ESTABLISHED", 10s)) << second.log();
  ASSERT_TRUE(waitAnsweredLegs(id, 3));
  auto conference = client().post("/api/v1/calls/" + id + "/conference", "{}");
  ASSERT_EQ(conference.status, 200) << conference.body;
  EXPECT_EQ(Json::parse(conference.body)["state"], "conferenced");
  std::this_thread::sleep_for(4s);
  // The caller leaving leaves the two agents talking; the last but one leaving ends the call.
  ASSERT_TRUE(phone.command("hangup"));
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(onlyCall()["id"], id);
  ASSERT_TRUE(first.command("hangup"));
  EXPECT_TRUE(second.waitEvent("CALL_CLOSED", 10s)) << second.log();
  expectNothingLeft();
  EXPECT_THAT(eventTypes(id), testing::Contains("conferenced"));
  first.stop();
  second.stop();
  phone.stop();
  // Everyone heard both others at once: some second of each recording carries both tones.
  auto both = [](const std::string& path, double a, double b) {
    auto audio = readChannel(path, 0);
    const auto second_len = static_cast<std::size_t>(audio.rate);
    for (std::size_t at = 0; second_len > 0 && at + second_len <= audio.pcm.size();
         at += second_len / 2) {
      std::span<const int16_t> part(audio.pcm.data() + at, second_len);
      const double other = media::tonePower(part, audio.rate, 1500) + 1e-9;
      if (media::tonePower(part, audio.rate, a) > 20 * other &&
          media::tonePower(part, audio.rate, b) > 20 * other) {
        return true;
      }
    }
    return false;
  };
  EXPECT_TRUE(both(phone.receivedRecordings()[0], AgentHz, SecondAgentHz));
  EXPECT_TRUE(both(first.receivedRecordings()[0], CallerHz, SecondAgentHz));
  EXPECT_TRUE(both(second.receivedRecordings()[0], CallerHz, AgentHz));
}

TEST_P(CallFlowTest, CallerHangingUpWhileTheAgentRingsLeavesNothingBehind) {
  addQueue("5000");
  auto& agent = addAgent("2001", agent_wav_, /*auto_answer=*/false);
  auto& phone = caller();
  ASSERT_TRUE(phone.command("dial", dial("5000")));
  ASSERT_TRUE(agent.waitEvent("CALL_INCOMING", 10s)) << agent.log();
  const std::string id = onlyCall()["id"];
  ASSERT_TRUE(phone.command("hangup"));
  EXPECT_TRUE(agent.waitEvent("CALL_CLOSED", 10s)) << agent.log();
  expectNothingLeft();
  auto types = eventTypes(id);
  ASSERT_FALSE(types.empty());
  EXPECT_EQ(types.back(), "ended");
  EXPECT_EQ(std::count(types.begin(), types.end(), "answered"), 0);
  auto state = Json::parse(client().get("/api/v1/agents/" + agent_ids_["2001"] + "/state").body);
  EXPECT_EQ(state["state"], "ready") << state;
}

TEST_P(CallFlowTest, AgentThatRejectsIsSetNotReadyAndTheNextAgentTakesTheCall) {
  addQueue("5000");
  auto& rejecting = addAgent("2001", agent_wav_, /*auto_answer=*/false);
  auto& answering = addAgent("2002", second_wav_);
  auto& phone = caller();
  ASSERT_TRUE(phone.command("dial", dial("5000")));
  // Longest idle: 2001 logged in first and rings first; its phone declines.
  ASSERT_TRUE(rejecting.waitEvent("CALL_INCOMING", 10s)) << rejecting.log();
  ASSERT_TRUE(rejecting.command("hangup"));
  ASSERT_TRUE(answering.waitEvent("CALL_ESTABLISHED", 10s)) << answering.log();
  auto state = Json::parse(client().get("/api/v1/agents/" + agent_ids_["2001"] + "/state").body);
  EXPECT_EQ(state["state"], "not_ready") << state;
  ASSERT_TRUE(phone.command("hangup"));
  EXPECT_TRUE(answering.waitEvent("CALL_CLOSED", 10s));
  expectNothingLeft();
}

TEST_P(CallFlowTest, AgentThatNeverAnswersIsSetNotReadyAndTheCallerKeepsWaiting) {
  auto queue = addQueue("5000");
  auto update = client().put("/api/v1/queues/" + queue,
                             Json{{"name", "q5000"}, {"alert_timeout_ms", 3000}}.dump());
  ASSERT_EQ(update.status, 200) << update.body;
  auto& agent = addAgent("2001", agent_wav_, /*auto_answer=*/false);
  auto& phone = caller();
  ASSERT_TRUE(phone.command("dial", dial("5000")));
  ASSERT_TRUE(agent.waitEvent("CALL_INCOMING", 10s)) << agent.log();
  EXPECT_TRUE(agent.waitEvent("CALL_CLOSED", 10s)) << agent.log();
  auto state = Json::parse(client().get("/api/v1/agents/" + agent_ids_["2001"] + "/state").body);
  EXPECT_EQ(state["state"], "not_ready") << state;
  EXPECT_EQ(state["reason"], "no_answer") << state;
  const auto call = onlyCall();
  EXPECT_EQ(call["state"], "queued");
  ASSERT_TRUE(phone.command("hangup"));
  expectNothingLeft();
}

TEST_P(CallFlowTest, KeysFromTheCallerReachKefu) {
  addQueue("5000");
  auto& agent = addAgent("2001", agent_wav_);
  auto& phone = caller();
  ASSERT_TRUE(phone.command("dial", dial("5000")));
  ASSERT_TRUE(agent.waitEvent("CALL_ESTABLISHED", 10s)) << agent.log();
  const std::string id = onlyCall()["id"];
  for (const char* digit : {"4", "2"}) {
    ASSERT_TRUE(phone.command("sndcode", digit));
    std::this_thread::sleep_for(600ms);
  }
  std::this_thread::sleep_for(1s);
  ASSERT_TRUE(phone.command("hangup"));
  expectNothingLeft();
  std::string digits;
  const auto events = Json::parse(client().get("/api/v1/calls/" + id + "/events").body);
  for (const auto& e : events["items"]) {
    if (e["type"] == "dtmf") {
      digits += e["detail"].get<std::string>();
      EXPECT_EQ(e["cause"], "rfc4733");
    }
  }
  EXPECT_EQ(digits, "42");
}

TEST_P(CallFlowTest, SipInfoKeysFromTheCallerReachKefu) {
  addQueue("5000");
  std::filesystem::create_directories(dir_ / "sipp");
  // SIPp dials the entry point, presses 4 and 2 (application/dtmf-relay) and 9
  // (application/dtmf) by SIP INFO, each answered before the next, and hangs up 3 s later.
  sip::testing::SippProcess sipp((dir_ / "sipp").string(),
                                 sip::testing::sippScenario("sipp_uac_info_digits.xml"),
                                 "127.0.0.1:" + std::to_string(sip_port_), {"-s", "5000"});
  ASSERT_TRUE(sipp.running());
  const auto call = callOf("caller", "queued");
  ASSERT_FALSE(call.is_null()) << sipp.log();
  EXPECT_EQ(sipp.waitExit(30s), 0) << sipp.log();
  expectNothingLeft();
  const auto events = callEvents(call["id"]);
  std::string digits;
  for (const auto& e : eventsOfType(events, "dtmf")) {
    digits += e["detail"].get<std::string>();
    EXPECT_EQ(e["cause"], "sip_info") << e;
  }
  EXPECT_EQ(digits, "429") << events;
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back()["type"], "ended") << events;
}

TEST_P(CallFlowTest, BeyondTheCallLimitNewCallsGet503AndTheCallInProgressGoesOn) {
  addQueue("5000");
  auto& agent = addAgent("2001", agent_wav_);
  auto& phone = caller();
  ASSERT_TRUE(phone.command("dial", dial("5000")));
  ASSERT_TRUE(agent.waitEvent("CALL_ESTABLISHED", 10s)) << agent.log();
  auto& extra = addPhone("extra", {"extra", true, caller_wav_, false, 0, ""});
  ASSERT_TRUE(extra.command("dial", dial("5000")));
  auto closed = extra.waitEvent("CALL_CLOSED", 10s);
  ASSERT_TRUE(closed) << extra.log();
  EXPECT_THAT(*closed, testing::HasSubstr("503"));
  EXPECT_EQ(metric("kefu_calls_rejected_overload_total"), 1);
  EXPECT_EQ(onlyCall("talking")["state"], "talking");
  ASSERT_TRUE(phone.command("hangup"));
  expectNothingLeft();
}

INSTANTIATE_TEST_SUITE_P(Sqlite, CallFlowTest, testing::Values(Backend::Sqlite), backendName);

}  // namespace
}  // namespace kefu::test
