#include "media/dtmf.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "media/codec.h"
#include "media/g711.h"
#include "media/tone.h"

namespace kefu::media {
namespace {

constexpr std::string_view AllDigits = "0123456789*#ABCD";

// Plays `digits` through a generator (100 ms tone, 100 ms silence each), optionally through a
// codec, into a detector; @return what it detected.
std::string generateAndDetect(std::string_view digits, std::optional<CodecId> codec) {
  DtmfGenerator generator;
  DtmfDetector detector;
  EncoderPtr encoder = codec ? makeEncoder(*codec) : nullptr;
  DecoderPtr decoder = codec ? makeDecoder(*codec) : nullptr;
  std::string detected;
  auto feed = [&](AudioFrame& frame) {
    if (codec) {
      std::array<uint8_t, MaxPayloadBytes> payload{};
      std::size_t size = encoder->encode(frame, payload);
      EXPECT_TRUE(decoder->decode(std::span(payload.data(), size), frame));
    }
    detected += detector.feed(frame);
  };
  for (char digit : digits) {
    generator.start(digit, 100);
    AudioFrame frame;
    int frames = 0;
    while (generator.fill(frame)) {
      ++frames;
      feed(frame);
    }
    EXPECT_EQ(frames, 8) << digit;  // 100 ms of tone, 60 ms of silence
  }
  for (int i = 0; i < 5; ++i) {
    AudioFrame silence;
    feed(silence);
  }
  return detected;
}

TEST(DtmfTest, DetectsEveryGeneratedDigit) {
  for (char digit : AllDigits) {
    EXPECT_EQ(generateAndDetect(std::string(1, digit), std::nullopt), std::string(1, digit));
  }
}

// Detects digits in 8 kHz G.711 samples as a relayed leg does: each digit's two frequencies at
// -10 dBm0 synthesised here (not by our generator), mu-law coded and decoded by the table.
std::string detectNarrow(std::string_view digits, bool row_tone_only) {
  constexpr double Pi = 3.14159265358979323846;
  constexpr std::string_view Keys = "123A456B789C*0#D";
  constexpr double Rows[] = {697, 770, 852, 941};
  constexpr double Columns[] = {1209, 1336, 1477, 1633};
  DtmfDetector detector;
  std::string detected;
  std::array<int16_t, 160> packet{};
  int n = 0;
  auto send = [&](double low, double high, int packets) {
    for (int p = 0; p < packets; ++p) {
      for (auto& sample : packet) {
        double t = static_cast<double>(n++) / 8000.0;
        double value = 3000 * (std::sin(2 * Pi * low * t) + std::sin(2 * Pi * high * t));
        sample = ulawToLinear(linearToUlaw(static_cast<int16_t>(value)));
      }
      detected += detector.feedNarrow(packet);
    }
  };
  for (char digit : digits) {
    std::size_t key = Keys.find(digit);
    send(Rows[key / 4], row_tone_only ? 0 : Columns[key % 4], 5);  // 100 ms of tone
    send(0, 0, 5);                                                 // 100 ms of silence
  }
  return detected;
}

TEST(DtmfTest, DetectsDigitsInEightKilohertzSamplesWithoutResampling) {
  EXPECT_EQ(detectNarrow(AllDigits, false), AllDigits);
  // One of the two frequencies alone is no digit: the detector must not just react to energy.
  EXPECT_EQ(detectNarrow("159", true), "");
}

TEST(DtmfTest, DetectsASequenceOfAllSixteenDigits) {
  EXPECT_EQ(generateAndDetect(AllDigits, std::nullopt), AllDigits);
  // Back to back with no pause of the caller's: the generator's own gap keeps them apart.
  EXPECT_EQ(generateAndDetect("5555", std::nullopt), "5555");
}

TEST(DtmfTest, DetectsDigitsAfterAPcmuRoundTrip) {
  EXPECT_EQ(generateAndDetect(AllDigits, CodecId::Pcmu), AllDigits);
}

TEST(DtmfTest, DetectsDigitsAfterOtherCodecs) {
  EXPECT_EQ(generateAndDetect(AllDigits, CodecId::Pcma), AllDigits);
  EXPECT_EQ(generateAndDetect(AllDigits, CodecId::G722), AllDigits);
}

TEST(DtmfTest, GeneratesTheTwoTonesOfADigit) {
  DtmfGenerator generator;
  generator.start('1', 200);
  std::vector<int16_t> pcm;
  AudioFrame frame;
  while (generator.fill(frame)) {
    pcm.insert(pcm.end(), frame.samples.begin(), frame.samples.end());
  }
  ASSERT_EQ(pcm.size(), 13 * FrameSamples);  // 200 ms of tone, 60 ms of silence
  std::span<const int16_t> steady = std::span(pcm).subspan(FrameSamples, 8 * FrameSamples);
  // '1' is 697 Hz + 1209 Hz; both well above a neighbouring row or column frequency.
  EXPECT_GT(tonePower(steady, InternalRate, 697), 10 * tonePower(steady, InternalRate, 770));
  EXPECT_GT(tonePower(steady, InternalRate, 1209), 10 * tonePower(steady, InternalRate, 1336));
  // -10 dBm0 per tone is about 0.2 of full scale (G.711's 3.17 dBm0 full-scale sine).
  EXPECT_NEAR(std::sqrt(tonePower(steady, InternalRate, 697)), 0.22, 0.05);
  // The gap is silent, once the resampler's short tail has passed.
  EXPECT_LT(rmsLevel(std::span(pcm).last(FrameSamples * 2)), 0.001);
  EXPECT_FALSE(generator.active());
  EXPECT_FALSE(generator.fill(frame));
  EXPECT_EQ(rmsLevel(frame.view()), 0.0);
}

TEST(DtmfTest, SpeechLikeTonesAreNotDigits) {
  DtmfDetector detector;
  ToneGenerator a(440, 0.3);
  ToneGenerator b(1000, 0.3);
  std::string detected;
  for (int i = 0; i < 50; ++i) {
    AudioFrame frame;
    AudioFrame second;
    a.fill(frame.view());
    b.fill(second.view());
    for (std::size_t s = 0; s < FrameSamples; ++s) {
      frame.samples[s] = static_cast<int16_t>(frame.samples[s] / 2 + second.samples[s] / 2);
    }
    detected += detector.feed(frame);
  }
  EXPECT_EQ(detected, "");
}

TEST(DtmfTest, UnknownDigitsLeaveTheGeneratorIdle) {
  DtmfGenerator generator;
  generator.start('x', 100);
  EXPECT_FALSE(generator.active());
  AudioFrame frame;
  EXPECT_FALSE(generator.fill(frame));
}

}  // namespace
}  // namespace kefu::media
