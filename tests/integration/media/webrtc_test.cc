// A real browser against the media engine: Chromium's WebRTC stack (ICE, DTLS-SRTP, Opus) sends
// and receives audio with a session directly.
#include <gtest/gtest.h>
#include <sndfile.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "media/engine.h"
#include "media/tone.h"
#include "support/media/audio_checks.h"
#include "support/media/child_process.h"
#include "support/media/event_recorder.h"

namespace kefu::media {
namespace {

using namespace std::chrono_literals;
using testing::CollectingTap;
using testing::EventRecorder;
using testing::PipedProcess;

/** Writes `seconds` of a `hz` tone as a 48 kHz mono WAV (Chromium's fake microphone loops it). */
void writeToneWav(const std::string& path, double hz, int seconds) {
  SF_INFO info{};
  info.samplerate = 48000;
  info.channels = 1;
  info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  SNDFILE* file = sf_open(path.c_str(), SFM_WRITE, &info);
  ASSERT_NE(file, nullptr);
  std::vector<int16_t> pcm(static_cast<std::size_t>(48000 * seconds));
  ToneGenerator(hz, 0.3, 48000).fill(pcm);
  sf_write_short(file, pcm.data(), static_cast<sf_count_t>(pcm.size()));
  sf_close(file);
}

TEST(WebRtcTest, ChromiumAndASessionExchangeAudioOverDtlsSrtp) {
  const std::filesystem::path browser_dir =
      std::filesystem::path(KEFU_SOURCE_DIR) / "tests/browser";
  ASSERT_TRUE(std::filesystem::exists(browser_dir / "node_modules/playwright-core"))
      << "playwright-core is missing: run `make deps`";
  auto dir =
      std::filesystem::path(::testing::TempDir()) / ("kefu-webrtc-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::string mic = (dir / "mic.wav").string();
  writeToneWav(mic, 600, 3);

  EventRecorder events;
  EngineConfig config;
  config.threads = 1;
  config.port_min = 31000;
  config.port_max = 39999;
  auto engine = startMediaEngine(config, events);
  ASSERT_TRUE(engine.ok());

  PipedProcess browser({"node", (browser_dir / "webrtc_peer.mjs").string(), mic, "1500"},
                       (dir / "browser.log").string());
  auto offer = nlohmann::json::parse(browser.readLine(60s), nullptr, false);
  ASSERT_TRUE(offer.is_object() && offer.contains("offer"))
      << "no offer from the browser; see " << (dir / "browser.log");
  auto session = (*engine)->answer(offer["offer"].get<std::string>(), {});
  ASSERT_TRUE(session.ok()) << session.error().message << "\n" << offer["offer"];
  auto tap = std::make_shared<CollectingTap>();
  (*engine)->setTap(session->id, tap);
  (*engine)->play(session->id, testing::tonePrompt(1000, 1000), true, 1);
  browser.writeLine(nlohmann::json{{"answer", session->sdp}}.dump());

  auto state = nlohmann::json::parse(browser.readLine(20s), nullptr, false);
  ASSERT_TRUE(state.is_object()) << "the browser said nothing; see " << (dir / "browser.log");
  ASSERT_EQ(state["state"], "connected") << "our answer:\n" << session->sdp;
  ASSERT_TRUE(events.waitFor(
      [](const EventRecorder& e) { return !e.secure.empty() && e.secure[0].second.empty(); }, 5s));

  auto heard = nlohmann::json::parse(browser.readLine(20s), nullptr, false);
  ASSERT_TRUE(heard.is_object() && heard.contains("heard")) << "see " << (dir / "browser.log");
  // The browser hears our 1 kHz prompt (its analyser's bins are 2.9 Hz wide).
  EXPECT_NEAR(heard["heard"]["peak_hz"].get<double>(), 1000, 6) << heard.dump();
  EXPECT_GT(heard["heard"]["packets_received"].get<int>(), 40) << heard.dump();

  // And we hear the browser's 600 Hz microphone.
  auto audio = tap->audio();
  ASSERT_GT(audio.size(), 16000u) << "the session received " << audio.size() << " samples";
  auto last = testing::window(audio, static_cast<int>(audio.size() / 16) - 700, 500);
  EXPECT_NEAR(dominantFrequency(last, InternalRate), 600, 5);
  EXPECT_EQ((*engine)->counters().srtp_failures, 0u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace kefu::media
