#include "media/tone.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace kefu::media {
namespace {

std::vector<int16_t> tone(double hz, double amplitude, int rate, std::size_t samples) {
  ToneGenerator generator(hz, amplitude, rate);
  std::vector<int16_t> pcm(samples);
  // Two calls: the second continues the phase of the first.
  generator.fill(std::span(pcm).first(samples / 3));
  generator.fill(std::span(pcm).subspan(samples / 3));
  return pcm;
}

TEST(ToneTest, FindsTheDominantFrequencyWithinTwoHertz) {
  for (double hz : {97.0, 440.0, 1000.0, 2345.6, 3999.0}) {
    EXPECT_NEAR(dominantFrequency(tone(hz, 0.3, InternalRate, 8000), InternalRate), hz, 2.0);
  }
  EXPECT_NEAR(dominantFrequency(tone(1234, 0.3, 44100, 22050), 44100), 1234, 2.0);
  EXPECT_NEAR(dominantFrequency(tone(3000, 0.3, 8000, 4000), 8000), 3000, 2.0);
}

TEST(ToneTest, PowerIsTheSquaredAmplitudeAtTheToneAndSmallElsewhere) {
  std::vector<int16_t> pcm = tone(1000, 0.5, InternalRate, 8000);
  EXPECT_NEAR(tonePower(pcm, InternalRate, 1000), 0.25, 0.01);
  EXPECT_LT(tonePower(pcm, InternalRate, 1100), 1e-4);
  EXPECT_LT(tonePower(pcm, InternalRate, 500), 1e-4);
}

TEST(ToneTest, SeparatesTheTonesOfAMix) {
  std::vector<int16_t> a = tone(400, 0.2, InternalRate, 3200);
  std::vector<int16_t> b = tone(700, 0.4, InternalRate, 3200);
  for (std::size_t i = 0; i < a.size(); ++i) {
    a[i] = static_cast<int16_t>(a[i] + b[i]);
  }
  EXPECT_NEAR(tonePower(a, InternalRate, 400), 0.04, 0.004);
  EXPECT_NEAR(tonePower(a, InternalRate, 700), 0.16, 0.016);
  EXPECT_NEAR(dominantFrequency(a, InternalRate), 700, 2.0);
}

TEST(ToneTest, RmsLevelOfASineAndOfSilence) {
  EXPECT_NEAR(rmsLevel(tone(1000, 0.5, InternalRate, 16000)), 0.5 / std::sqrt(2.0), 0.001);
  std::vector<int16_t> silence(320);
  EXPECT_EQ(rmsLevel(silence), 0.0);
  EXPECT_EQ(rmsLevel({}), 0.0);
}

}  // namespace
}  // namespace kefu::media
