#include "media/g711.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace kefu::media {
namespace {

TEST(G711Test, DecodesKnownCodes) {
  // mu-law: 0xFF and 0x7F are the two zeros, 0x80 and 0x00 the extremes (G.711 Table 2a).
  EXPECT_EQ(ulawToLinear(0xFF), 0);
  EXPECT_EQ(ulawToLinear(0x7F), 0);
  EXPECT_EQ(ulawToLinear(0x80), 32124);
  EXPECT_EQ(ulawToLinear(0x00), -32124);
  // A-law: 0xD5 and 0x55 are the smallest steps (+-8), 0xAA and 0x2A the extremes.
  EXPECT_EQ(alawToLinear(0xD5), 8);
  EXPECT_EQ(alawToLinear(0x55), -8);
  EXPECT_EQ(alawToLinear(0xAA), 32256);
  EXPECT_EQ(alawToLinear(0x2A), -32256);
}

TEST(G711Test, EncodesKnownSamples) {
  EXPECT_EQ(linearToUlaw(0), 0xFF);
  EXPECT_EQ(linearToUlaw(32767), 0x80);
  EXPECT_EQ(linearToUlaw(-32768), 0x00);
  EXPECT_EQ(linearToAlaw(0), 0xD5);
  EXPECT_EQ(linearToAlaw(32767), 0xAA);
  EXPECT_EQ(linearToAlaw(-32768), 0x2A);
}

TEST(G711Test, EveryCodeSurvivesARoundTrip) {
  for (int code = 0; code < 256; ++code) {
    auto u = static_cast<uint8_t>(code);
    int16_t linear = ulawToLinear(u);
    // The two mu-law zeros both encode to 0xFF.
    EXPECT_EQ(ulawToLinear(linearToUlaw(linear)), linear) << code;
    EXPECT_EQ(linearToAlaw(alawToLinear(u)), u) << code;
  }
}

TEST(G711Test, QuantisationIsMonotonicAndClose) {
  int previous_u = -40000;
  int previous_a = -40000;
  for (int sample = -32768; sample <= 32767; ++sample) {
    auto pcm = static_cast<int16_t>(sample);
    int u = ulawToLinear(linearToUlaw(pcm));
    int a = alawToLinear(linearToAlaw(pcm));
    ASSERT_GE(u, previous_u) << sample;
    ASSERT_GE(a, previous_a) << sample;
    previous_u = u;
    previous_a = a;
    // The error stays within half of the largest step (1024 for A-law, 1024 for mu-law near
    // full scale), and within a few percent of the sample away from zero.
    ASSERT_LE(std::abs(u - sample), 1100) << sample;
    ASSERT_LE(std::abs(a - sample), 1100) << sample;
    if (std::abs(sample) > 256) {
      ASSERT_LE(std::abs(u - sample), std::abs(sample) / 15) << sample;
      ASSERT_LE(std::abs(a - sample), std::abs(sample) / 15) << sample;
    }
  }
}

}  // namespace
}  // namespace kefu::media
