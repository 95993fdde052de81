#include "ivr/tts.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace kefu::ivr {
namespace {

/** Renders one sample per character; counts its calls; fails for the voice "broken". */
class FakeSynthesizer final : public SpeechSynthesizer {
 public:
  Result<SpeechAudioPtr> synthesize(const std::string& text, const std::string& voice) override {
    ++calls;
    if (voice == "broken") {
      return Error{ErrorCode::Unavailable, "broken", {}};
    }
    auto audio = std::make_shared<SpeechAudio>();
    audio->samples.assign(text.size(), static_cast<std::int16_t>(voice.size()));
    return SpeechAudioPtr{audio};
  }
  int calls = 0;
};

TEST(CachedSynthesizerTest, RendersEachTextAndVoiceOnce) {
  FakeSynthesizer engine;
  CachedSynthesizer cache(engine, 10);
  auto first = cache.synthesize("hello", "en");
  auto again = cache.synthesize("hello", "en");
  auto other_voice = cache.synthesize("hello", "cmn");
  ASSERT_TRUE(first.ok() && again.ok() && other_voice.ok());
  EXPECT_EQ(first->get(), again->get());  // the same shared audio
  EXPECT_NE(first->get(), other_voice->get());
  EXPECT_EQ(engine.calls, 2);
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(cache.misses(), 2u);
}

TEST(CachedSynthesizerTest, ForgetsTheLeastRecentlyUsed) {
  FakeSynthesizer engine;
  CachedSynthesizer cache(engine, 2);
  ASSERT_TRUE(cache.synthesize("a", "en").ok());
  ASSERT_TRUE(cache.synthesize("b", "en").ok());
  ASSERT_TRUE(cache.synthesize("a", "en").ok());  // "a" is now the most recent
  ASSERT_TRUE(cache.synthesize("c", "en").ok());  // evicts "b"
  EXPECT_EQ(engine.calls, 3);
  ASSERT_TRUE(cache.synthesize("a", "en").ok());
  EXPECT_EQ(engine.calls, 3);
  ASSERT_TRUE(cache.synthesize("b", "en").ok());
  EXPECT_EQ(engine.calls, 4);
}

TEST(CachedSynthesizerTest, FailuresAreNotCached) {
  FakeSynthesizer engine;
  CachedSynthesizer cache(engine, 10);
  EXPECT_FALSE(cache.synthesize("x", "broken").ok());
  EXPECT_FALSE(cache.synthesize("x", "broken").ok());
  EXPECT_EQ(engine.calls, 2);
}

TEST(EspeakSynthesizerTest, SpeaksEnglishAndMandarinAt8kHz) {
  auto engine = makeEspeakSynthesizer(8000);
  if (!engine.ok()) {
    GTEST_SKIP() << engine.error().message;
  }
  for (const auto& [text, voice] : std::vector<std::pair<std::string, std::string>>{
           {"Welcome to Kefu Bank.", "en"}, {"欢迎致电客服银行，请按1。", "cmn"}}) {
    auto audio = (*engine)->synthesize(text, voice);
    ASSERT_TRUE(audio.ok()) << audio.error().message;
    EXPECT_EQ((*audio)->rate, 8000);
    double seconds = static_cast<double>((*audio)->samples.size()) / 8000.0;
    EXPECT_GT(seconds, 0.8) << voice;  // a short sentence, spoken
    EXPECT_LT(seconds, 8.0) << voice;
    int loud = 0;
    for (auto sample : (*audio)->samples) {
      loud += std::abs(sample) > 1000 ? 1 : 0;
    }
    EXPECT_GT(loud, 800) << voice;  // speech, not silence
  }
  EXPECT_FALSE((*engine)->synthesize("x", "no-such-voice").ok());
}

}  // namespace
}  // namespace kefu::ivr
