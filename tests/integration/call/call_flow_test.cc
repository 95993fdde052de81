// Calls end to end through a real site: baresip phones as the caller and as agents' phones that
// register with digest authentication, the ACD choosing the agent, and the audio checked in what
// each party (and Kefu's own recorder) captured.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sndfile.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "media/tone.h"
#include "support/call/softphone.h"
#include "support/site_fixture.h"
#include "support/sip/sip_socket.h"

namespace kefu::test {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

constexpr double CallerHz = 1000;
constexpr double AgentHz = 440;
constexpr double SecondAgentHz = 700;

/** One channel of a WAV at its own rate. */
struct Audio {
  int rate = 0;
  std::vector<int16_t> pcm;
};

Audio readChannel(const std::string& path, int channel) {
  SF_INFO info{};
  SNDFILE* file = sf_open(path.c_str(), SFM_READ, &info);
  if (file == nullptr) {
    return {};
  }
  std::vector<int16_t> frames(static_cast<std::size_t>(info.frames * info.channels));
  sf_readf_short(file, frames.data(), info.frames);
  sf_close(file);
  Audio out{info.samplerate, {}};
  for (sf_count_t i = 0; i < info.frames; ++i) {
    out.pcm.push_back(frames[static_cast<std::size_t>(i * info.channels + channel)]);
  }
  return out;
}

/** The notes of the built-in music on hold (server/site_calls.cc). */
constexpr std::array<double, 4> MusicNotes{523.25, 659.25, 783.99, 880.0};

/** @return for each 200 ms window of `audio`, its dominant frequency (0 when silent). */
std::vector<double> windowFrequencies(const Audio& audio) {
  std::vector<double> out;
  const std::size_t window = static_cast<std::size_t>(audio.rate / 5);
  for (std::size_t at = 0; window > 0 && at + window <= audio.pcm.size(); at += window) {
    std::span<const int16_t> part(audio.pcm.data() + at, window);
    out.push_back(media::rmsLevel(part) > 0.01 ? media::dominantFrequency(part, audio.rate) : 0);
  }
  return out;
}

bool near(double f, double hz) { return std::abs(f - hz) < hz * 0.04; }

bool isMusic(double f) {
  return std::any_of(MusicNotes.begin(), MusicNotes.end(), [f](double n) { return near(f, n); });
}

/** @return the share (0..1) of 200 ms windows in `audio` whose dominant frequency is `hz`±4 %. */
double shareOfTone(const Audio& audio, double hz) {
  const std::size_t window = static_cast<std::size_t>(audio.rate / 5);
  if (audio.rate == 0 || audio.pcm.size() < window) {
    return 0;
  }
  int windows = 0;
  int matching = 0;
  for (std::size_t at = 0; at + window <= audio.pcm.size(); at += window) {
    std::span<const int16_t> part(audio.pcm.data() + at, window);
    ++windows;
    if (media::rmsLevel(part) > 0.01 &&
        std::abs(media::dominantFrequency(part, audio.rate) - hz) < hz * 0.04) {
      ++matching;
    }
  }
  return windows == 0 ? 0 : double(matching) / windows;
}

class CallFlowTest : public SiteFixture {
 protected:
  void configure(server::Config& config) override {
    sip_port_ = sip::testing::freeSipPort();
    config.sip.enabled = true;
    config.sip.listen = {"127.0.0.1", sip_port_};
    config.calls.record = true;
    dir_ = std::filesystem::temp_directory_path() /
           ("kefu-calls-" + std::to_string(::getpid()) + "-" + std::to_string(++counter_));
    std::filesystem::create_directories(dir_);
    config.calls.recording_dir = (dir_ / "recordings").string();
    config.calls.ring_timeout = 10s;
    const std::string name = testing::UnitTest::GetInstance()->current_test_info()->name();
    if (name.find("CallLimit") != std::string::npos) {
      config.calls.max_calls = 1;
    }
    caller_wav_ = writeToneWav((dir_ / "caller.wav").string(), CallerHz, 60);
    agent_wav_ = writeToneWav((dir_ / "agent.wav").string(), AgentHz, 120);
    second_wav_ = writeToneWav((dir_ / "second.wav").string(), SecondAgentHz, 120);
  }

  void TearDown() override {
    phones_.clear();
    SiteFixture::TearDown();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  std::string created(const std::string& path, const Json& body) {
    auto reply = client().post(path, body.dump());
    EXPECT_EQ(reply.status, 201) << path << ": " << reply.body;
    return Json::parse(reply.body).value("id", "");
  }

  /** Creates a queue and its entry point `number`; @return the queue id. */
  std::string addQueue(const std::string& number, const std::string& strategy = "longest_idle") {
    auto queue = created("/api/v1/queues", {{"name", "q" + number}, {"strategy", strategy}});
    created("/api/v1/entry-points",
            {{"number", number}, {"target", {{"kind", "queue"}, {"id", queue}}}});
    return queue;
  }

  /** Creates an agent with a registered phone sending `wav`, logged in and ready. */
  Softphone& addAgent(const std::string& extension, const std::string& wav,
                      bool auto_answer = true) {
    const std::string password = "pw-" + extension + "-secret";
    auto id = created("/api/v1/agents", {{"name", "Agent " + extension},
                                         {"extension", extension},
                                         {"sip_password", password}});
    agent_ids_[extension] = id;
    auto& phone = addPhone(extension, {extension, auto_answer, wav, true, sip_port_, password});
    // Registered when the registrar lists it (the phone may register before its control port
    // is connected, so its REGISTER_OK event can come before we listen).
    bool registered = false;
    for (int i = 0; i < 100 && !registered; ++i) {
      registered = client().get("/api/v1/registrations").body.find("\"" + extension + "\"") !=
                   std::string::npos;
      if (!registered) {
        std::this_thread::sleep_for(100ms);
      }
    }
    EXPECT_TRUE(registered) << phone.log();
    auto login = client().post("/api/v1/agents/" + id + "/login", "{}");
    EXPECT_EQ(login.status, 200) << login.body;
    return phone;
  }

  Softphone& addPhone(const std::string& name, SoftphoneOptions options) {
    phones_.push_back(std::make_unique<Softphone>((dir_ / name).string(), std::move(options)));
    EXPECT_TRUE(phones_.back()->running()) << phones_.back()->log();
    return *phones_.back();
  }

  Softphone& caller() {
    return addPhone("caller", {"caller", true, caller_wav_, true, 0, ""});
  }

  std::string dial(const std::string& number) {
    return "sip:" + number + "@127.0.0.1:" + std::to_string(sip_port_);
  }

  /** @return the only call in progress (polling up to 5 s). */
  Json onlyCall() {
    for (int i = 0; i < 50; ++i) {
      auto reply = client().get("/api/v1/calls");
      auto items = Json::parse(reply.body)["items"];
      if (items.size() == 1) {
        return items[0];
      }
      std::this_thread::sleep_for(100ms);
    }
    ADD_FAILURE() << "no single call in progress";
    return {};
  }

  /** @return a metric's value from /metrics. */
  double metric(const std::string& name) {
    auto text = client(false).get("/metrics").body;
    auto at = text.find("\n" + name + " ");
    return at == std::string::npos ? -1 : std::stod(text.substr(at + name.size() + 2));
  }

  /** Waits until call control holds no call, leg or media session. */
  void expectNothingLeft() {
    for (int i = 0; i < 50 && (metric("kefu_calls_active") != 0 ||
                               metric("kefu_call_legs_active") != 0 ||
                               metric("kefu_call_media_sessions_active") != 0);
         ++i) {
      std::this_thread::sleep_for(100ms);
    }
    EXPECT_EQ(metric("kefu_calls_active"), 0);
    EXPECT_EQ(metric("kefu_call_legs_active"), 0);
    EXPECT_EQ(metric("kefu_call_media_sessions_active"), 0);
    EXPECT_EQ(metric("kefu_sip_dialogs_active"), 0);
  }

  /** @return the types of a call's stored events. */
  std::vector<std::string> eventTypes(const std::string& call_id) {
    std::vector<std::string> types;
    for (int i = 0; i < 30; ++i) {
      auto reply = client().get("/api/v1/calls/" + call_id + "/events");
      types.clear();
      if (reply.status == 200) {
        const auto events = Json::parse(reply.body);
        for (const auto& e : events["items"]) {
          types.push_back(e["type"]);
        }
      }
      if (!types.empty() && types.back() == "ended") {
        break;
      }
      std::this_thread::sleep_for(100ms);
    }
    return types;
  }

  static inline int counter_ = 0;
  uint16_t sip_port_ = 0;
  std::filesystem::path dir_;
  std::string caller_wav_;
  std::string agent_wav_;
  std::string second_wav_;
  std::map<std::string, std::string> agent_ids_;
  std::vector<std::unique_ptr<Softphone>> phones_;
};

TEST_P(CallFlowTest, CallerReachesARegisteredAgentAndEachHearsTheOther) {
  addQueue("5000");
  auto& agent = addAgent("2001", agent_wav_);
  auto& phone = caller();
  ASSERT_TRUE(phone.command("dial", dial("5000")));
  ASSERT_TRUE(phone.waitEvent("CALL_ESTABLISHED", 10s)) << phone.log();
  ASSERT_TRUE(agent.waitEvent("CALL_ESTABLISHED", 10s)) << agent.log();
  const auto call = onlyCall();
  EXPECT_EQ(call["state"], "talking");
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
  auto first_at = std::find_if(heard.begin(), heard.end(), [](double f) { return near(f, AgentHz); });
  auto second_at = std::find_if(heard.rbegin(), heard.rend(),
                                [](double f) { return near(f, SecondAgentHz); });
  ASSERT_NE(first_at, heard.end());
  ASSERT_NE(second_at, heard.rend());
  EXPECT_LT(first_at - heard.begin(), heard.rend() - second_at);
  EXPECT_GT(std::count_if(heard.begin(), heard.end(), [](double f) { return near(f, SecondAgentHz); }),
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
  auto agent_before = std::find_if(heard.begin(), heard.end(), [](double f) { return near(f, AgentHz); });
  auto agent_after = std::find_if(heard.rbegin(), heard.rend(), [](double f) { return near(f, AgentHz); });
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
  ASSERT_EQ(client().post("/api/v1/agents/" + agent_ids_["2002"] + "/not-ready",
                          R"({"reason":"break"})").status, 200);
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
                          [](double f) { return near(f, SecondAgentHz); }),
            5);
  // The caller heard music during the consultation and the second agent at the end.
  const auto heard = windowFrequencies(readChannel(phone.receivedRecordings()[0], 0));
  EXPECT_GE(std::count_if(heard.begin(), heard.end(), isMusic), 5);
  auto last = std::find_if(heard.rbegin(), heard.rend(), [](double f) { return f > 0; });
  ASSERT_NE(last, heard.rend());
  EXPECT_TRUE(near(*last, SecondAgentHz)) << *last;
  EXPECT_GT(shareOfTone(readChannel(second.receivedRecordings()[0], 0), CallerHz), 0.3);
}

TEST_P(CallFlowTest, ThreeWayConferenceThroughTheApi) {
  addQueue("5000");
  auto& first = addAgent("2001", agent_wav_);
  auto& second = addAgent("2002", second_wav_);
  ASSERT_EQ(client().post("/api/v1/agents/" + agent_ids_["2002"] + "/not-ready",
                          R"({"reason":"break"})").status, 200);
  auto& phone = caller();
  ASSERT_TRUE(phone.command("dial", dial("5000")));
  ASSERT_TRUE(first.waitEvent("CALL_ESTABLISHED", 10s)) << first.log();
  const std::string id = onlyCall()["id"];
  ASSERT_EQ(client().post("/api/v1/calls/" + id + "/consult",
                          R"({"target":{"kind":"extension","id":"2002"}})").status, 200);
  ASSERT_TRUE(second.waitEvent("CALL_ESTABLISHED", 10s)) << second.log();
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
  EXPECT_EQ(onlyCall()["state"], "talking");
  ASSERT_TRUE(phone.command("hangup"));
  expectNothingLeft();
}

INSTANTIATE_TEST_SUITE_P(Sqlite, CallFlowTest, testing::Values(Backend::Sqlite), backendName);

}  // namespace
}  // namespace kefu::test
