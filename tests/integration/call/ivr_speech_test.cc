// A caller speaks digits to the IVR, end to end: a baresip caller whose audio is a WAV of two
// shared spoken-digit recordings ("four", "two") dials an entry point whose flow
// (tests/support/ivr/spoken_account.yaml) listens with the digits grammar; the flow sends 42 to
// the queue `spoken-right` and anything else, silence or a recognizer failure to `spoken-wrong`,
// so the queue the call waits in tells what the recognizer heard through G.711, the media
// engine's tap and pocketsphinx.

#include <gtest/gtest.h>
#include <sndfile.h>

#include <nlohmann/json.hpp>

#include "support/call/call_site.h"

namespace kefu::test {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

std::vector<short> readDigit(const std::string& name) {
  SF_INFO info{};
  SNDFILE* file = sf_open((KEFU_SOURCE_DIR "/tests/data/speech/digits/" + name + ".wav").c_str(),
                          SFM_READ, &info);
  if (file == nullptr || info.samplerate != 8000 || info.channels != 1) {
    if (file != nullptr) {
      sf_close(file);
    }
    return {};
  }
  std::vector<short> pcm(static_cast<std::size_t>(info.frames));
  sf_readf_short(file, pcm.data(), info.frames);
  sf_close(file);
  return pcm;
}

/** Writes the caller's audio: silence while the prompt plays, "four", "two", then silence. */
std::string writeSpokenDigitsWav(const std::string& path) {
  auto four = readDigit("4_jackson_5");
  auto two = readDigit("2_jackson_5");
  if (four.empty() || two.empty()) {
    return {};
  }
  std::vector<short> pcm(6 * 8000, 0);  // the prompt ("Say your account number.") is about 2 s
  pcm.insert(pcm.end(), four.begin(), four.end());
  pcm.insert(pcm.end(), 2000, 0);  // 250 ms between the digits: one utterance
  pcm.insert(pcm.end(), two.begin(), two.end());
  pcm.insert(pcm.end(), 4 * 8000, 0);
  SF_INFO info{};
  info.samplerate = 8000;
  info.channels = 1;
  info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  SNDFILE* file = sf_open(path.c_str(), SFM_WRITE, &info);
  if (file == nullptr) {
    return {};
  }
  sf_write_short(file, pcm.data(), static_cast<sf_count_t>(pcm.size()));
  sf_close(file);
  return path;
}

class IvrSpeechTest : public CallSiteFixture {
 protected:
  void configureCalls(server::Config& config) override {
    config.ivr.flows_dir = KEFU_SOURCE_DIR "/tests/support/ivr";
    config.ivr.default_queue = "spoken-wrong";
  }
};

TEST_P(IvrSpeechTest, SpokenDigitsAreRecognizedThroughTheDigitsGrammar) {
  const auto wav = writeSpokenDigitsWav((dir_ / "spoken.wav").string());
  ASSERT_FALSE(wav.empty()) << "the shared digit recordings are missing";
  const auto right = created("/api/v1/queues", {{"name", "spoken-right"}});
  const auto wrong = created("/api/v1/queues", {{"name", "spoken-wrong"}});
  created("/api/v1/entry-points",
          {{"number", "4020"}, {"target", {{"kind", "flow"}, {"id", "spoken_account"}}}});
  auto& caller = addCaller("speaker", wav);
  ASSERT_TRUE(caller.command("dial", dial("4020")));
  ASSERT_TRUE(caller.waitEvent("CALL_ESTABLISHED", 10s)) << caller.log();
  // The prompt, the speech at 6 s, 500 ms of quiet and the decoding: queued within 20 s.
  const auto queued = callOf("speaker", "queued", 20s);
  ASSERT_FALSE(queued.is_null());
  EXPECT_EQ(queued["queue_id"], right) << "queued in " << queued["queue_id"] << " (spoken-wrong is "
                                       << wrong << "): the digits were not heard as 42";
  ASSERT_TRUE(caller.command("hangup"));
  expectNothingLeft();
}

INSTANTIATE_TEST_SUITE_P(Sqlite, IvrSpeechTest, testing::Values(Backend::Sqlite), backendName);

}  // namespace
}  // namespace kefu::test
