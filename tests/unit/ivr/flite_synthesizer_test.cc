// flite renders English prompts at the telephone rate, and a flow's voice picks the engine.

#include "ivr/flite_synthesizer.h"

#include <gtest/gtest.h>

#include <cmath>

namespace kefu::ivr {
namespace {

double rmsOf(const std::vector<std::int16_t>& samples) {
  double sum = 0;
  for (auto s : samples) {
    sum += static_cast<double>(s) * s;
  }
  return samples.empty() ? 0 : std::sqrt(sum / static_cast<double>(samples.size()));
}

TEST(FliteSynthesizerTest, RendersAudibleEightKilohertzSpeech) {
  auto flite = makeFliteSynthesizer(8000);
  ASSERT_TRUE(flite.ok()) << flite.error().message;
  auto audio = (*flite)->synthesize("Welcome to Kefu Bank", "slt");
  ASSERT_TRUE(audio.ok()) << audio.error().message;
  EXPECT_EQ((*audio)->rate, 8000);
  const double seconds = static_cast<double>((*audio)->samples.size()) / 8000;
  EXPECT_GT(seconds, 0.8);  // five words
  EXPECT_LT(seconds, 5.0);
  EXPECT_GT(rmsOf((*audio)->samples), 300.0);  // speech, not silence
  // A longer text is longer speech.
  auto longer = (*flite)->synthesize("Welcome to Kefu Bank. Your balance is high.", "slt");
  ASSERT_TRUE(longer.ok());
  EXPECT_GT((*longer)->samples.size(), (*audio)->samples.size());
}

TEST(FliteSynthesizerTest, UnknownVoiceIsAnError) {
  auto flite = makeFliteSynthesizer(8000);
  ASSERT_TRUE(flite.ok());
  auto audio = (*flite)->synthesize("hello", "cmn");
  ASSERT_FALSE(audio.ok());
  EXPECT_EQ(audio.error().field, "voice");
}

/** Answers with one sample holding its tag, so a test sees which engine spoke. */
class TaggedEngine final : public SpeechSynthesizer {
 public:
  explicit TaggedEngine(std::int16_t tag) : tag_(tag) {}
  Result<SpeechAudioPtr> synthesize(const std::string& /*text*/,
                                    const std::string& /*voice*/) override {
    auto audio = std::make_shared<SpeechAudio>();
    audio->samples = {tag_};
    return SpeechAudioPtr{std::move(audio)};
  }

 private:
  std::int16_t tag_;
};

TEST(VoiceRoutedSynthesizerTest, FliteVoicesGoToFliteOthersToEspeak) {
  VoiceRoutedSynthesizer router(std::make_unique<TaggedEngine>(1),
                                std::make_unique<TaggedEngine>(2));
  for (const char* voice : {"slt", "flite", "flite:slt"}) {
    auto audio = router.synthesize("hi", voice);
    ASSERT_TRUE(audio.ok());
    EXPECT_EQ((*audio)->samples.at(0), 2) << voice;
  }
  for (const char* voice : {"en", "cmn"}) {
    auto audio = router.synthesize("hi", voice);
    ASSERT_TRUE(audio.ok());
    EXPECT_EQ((*audio)->samples.at(0), 1) << voice;
  }
  VoiceRoutedSynthesizer no_flite(std::make_unique<TaggedEngine>(1), nullptr);
  auto missing = no_flite.synthesize("hi", "slt");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::Unavailable);
}

}  // namespace
}  // namespace kefu::ivr
