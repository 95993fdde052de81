#include "media/codec.h"

#include <gtest/gtest.h>
#include <opus.h>

#include <cmath>
#include <random>
#include <vector>

#include "media/tone.h"

namespace kefu::media {
namespace {

constexpr double ToneHz = 1000;
constexpr double Amplitude = 0.5;
constexpr int Frames = 50;     // 1 s
constexpr int SkipFrames = 5;  // the codecs' and resamplers' start-up delay

struct RoundTrip {
  std::vector<int16_t> decoded;  // internal rate, after the start-up frames
  std::vector<std::vector<uint8_t>> payloads;
};

RoundTrip roundTrip(CodecId codec) {
  EncoderPtr encoder = makeEncoder(codec);
  DecoderPtr decoder = makeDecoder(codec);
  ToneGenerator tone(ToneHz, Amplitude);
  RoundTrip result;
  for (int i = 0; i < Frames; ++i) {
    AudioFrame in;
    tone.fill(in.view());
    std::array<uint8_t, MaxPayloadBytes> payload{};
    std::size_t size = encoder->encode(in, payload);
    EXPECT_GT(size, 0u);
    result.payloads.emplace_back(payload.begin(),
                                 payload.begin() + static_cast<std::ptrdiff_t>(size));
    AudioFrame out;
    EXPECT_TRUE(decoder->decode(std::span(payload.data(), size), out));
    if (i >= SkipFrames) {
      result.decoded.insert(result.decoded.end(), out.samples.begin(), out.samples.end());
    }
  }
  return result;
}

class CodecRoundTripTest : public ::testing::TestWithParam<CodecId> {};

TEST_P(CodecRoundTripTest, AToneComesBackAtItsFrequencyAndLevel) {
  RoundTrip trip = roundTrip(GetParam());
  EXPECT_NEAR(dominantFrequency(trip.decoded, InternalRate), ToneHz, 5.0);
  // A sine of amplitude a has an RMS of a / sqrt(2).
  EXPECT_NEAR(rmsLevel(trip.decoded), Amplitude / std::sqrt(2.0), 0.05);
  // Nearly all the energy is the tone: the codec adds little noise or distortion.
  EXPECT_GT(tonePower(trip.decoded, InternalRate, ToneHz), 0.8 * Amplitude * Amplitude);
}

INSTANTIATE_TEST_SUITE_P(AllCodecs, CodecRoundTripTest,
                         ::testing::Values(CodecId::Pcmu, CodecId::Pcma, CodecId::G722,
                                           CodecId::Opus));

TEST(CodecTest, PayloadSizesMatchTheCodecs) {
  EXPECT_EQ(roundTrip(CodecId::Pcmu).payloads[10].size(), 160u);
  EXPECT_EQ(roundTrip(CodecId::Pcma).payloads[10].size(), 160u);
  EXPECT_EQ(roundTrip(CodecId::G722).payloads[10].size(), 160u);
  std::size_t opus = roundTrip(CodecId::Opus).payloads[10].size();
  EXPECT_GT(opus, 20u);  // 24 kbit/s is 60 bytes per 20 ms
  EXPECT_LT(opus, 120u);
}

TEST(CodecTest, OpusPayloadsDecodeInA48kHzStereoStack) {
  RoundTrip trip = roundTrip(CodecId::Opus);
  int error = 0;
  OpusDecoder* decoder = opus_decoder_create(48000, 2, &error);
  ASSERT_NE(decoder, nullptr);
  std::vector<int16_t> left;
  for (std::size_t i = 0; i < trip.payloads.size(); ++i) {
    std::array<int16_t, 960 * 2> pcm{};
    const auto& payload = trip.payloads[i];
    int samples = opus_decode(decoder, payload.data(), static_cast<opus_int32>(payload.size()),
                              pcm.data(), 960, 0);
    ASSERT_EQ(samples, 960);  // 20 ms at the 48 kHz RTP clock of RFC 7587
    if (i >= SkipFrames) {
      for (int s = 0; s < samples; ++s) {
        left.push_back(pcm[static_cast<std::size_t>(2 * s)]);
      }
    }
  }
  opus_decoder_destroy(decoder);
  EXPECT_NEAR(dominantFrequency(left, 48000), ToneHz, 5.0);
  EXPECT_NEAR(rmsLevel(left), Amplitude / std::sqrt(2.0), 0.05);
}

TEST(CodecTest, MalformedPayloadsAreRefusedWithSilence) {
  const std::vector<std::vector<uint8_t>> fixed_size_garbage = {
      {},
      {0x03},
      std::vector<uint8_t>(159, 0x55),
      std::vector<uint8_t>(161, 0x55),
      std::vector<uint8_t>(MaxPayloadBytes + 1, 0x55)};
  for (CodecId codec : {CodecId::Pcmu, CodecId::Pcma, CodecId::G722, CodecId::Opus}) {
    DecoderPtr decoder = makeDecoder(codec);
    for (const auto& payload : fixed_size_garbage) {
      AudioFrame frame;
      frame.samples.fill(1234);
      EXPECT_FALSE(decoder->decode(payload, frame))
          << static_cast<int>(codec) << " " << payload.size();
      EXPECT_EQ(rmsLevel(frame.view()), 0.0);
    }
  }
  DecoderPtr opus = makeDecoder(CodecId::Opus);
  AudioFrame frame;
  // Code 3 (arbitrary frame count) with a count of zero is invalid (RFC 6716 section 3.2.5).
  EXPECT_FALSE(opus->decode(std::vector<uint8_t>{0x03, 0x00}, frame));
  // A 60 ms SILK packet is valid Opus, but not one 20 ms frame.
  EXPECT_FALSE(opus->decode(std::vector<uint8_t>{0x18, 0x00, 0x00}, frame));
  // 48 frames of 20 ms would be 960 ms, above the 120 ms limit.
  EXPECT_FALSE(opus->decode(std::vector<uint8_t>{0x0B, 0x30, 0x00, 0x00}, frame));
}

TEST(CodecTest, RandomPayloadsNeverCrashAnyDecoder) {
  std::mt19937 random(7);
  for (CodecId codec : {CodecId::Pcmu, CodecId::Pcma, CodecId::G722, CodecId::Opus}) {
    DecoderPtr decoder = makeDecoder(codec);
    for (int i = 0; i < 2000; ++i) {
      std::vector<uint8_t> payload(random() % 400);
      for (uint8_t& byte : payload) {
        byte = static_cast<uint8_t>(random());
      }
      AudioFrame frame;
      if (!decoder->decode(payload, frame)) {
        EXPECT_EQ(rmsLevel(frame.view()), 0.0);
      }
    }
  }
}

TEST(CodecTest, ConcealmentContinuesTheToneAndFadesOut) {
  for (CodecId codec : {CodecId::Pcmu, CodecId::Pcma, CodecId::G722, CodecId::Opus}) {
    EncoderPtr encoder = makeEncoder(codec);
    DecoderPtr decoder = makeDecoder(codec);
    ToneGenerator tone(ToneHz, Amplitude);
    AudioFrame in;
    AudioFrame out;
    std::array<uint8_t, MaxPayloadBytes> payload{};
    for (int i = 0; i < 20; ++i) {
      tone.fill(in.view());
      std::size_t size = encoder->encode(in, payload);
      ASSERT_TRUE(decoder->decode(std::span(payload.data(), size), out));
    }
    decoder->conceal(out);
    // The first concealed frame sounds like what came before: same tone, similar level.
    EXPECT_GT(tonePower(out.view(), InternalRate, ToneHz), 0.1 * Amplitude * Amplitude)
        << static_cast<int>(codec);
    double first = rmsLevel(out.view());
    for (int i = 0; i < 25; ++i) {
      decoder->conceal(out);
    }
    // Half a second of loss has faded out.
    EXPECT_LT(rmsLevel(out.view()), first / 4) << static_cast<int>(codec);
  }
}

TEST(CodecTest, OpusRecoversALostFrameFromTheNextPacketsFec) {
  RoundTrip trip = roundTrip(CodecId::Opus);
  DecoderPtr decoder = makeDecoder(CodecId::Opus);
  AudioFrame frame;
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(decoder->decode(trip.payloads[static_cast<std::size_t>(i)], frame));
  }
  // Frame 20 is lost; frame 21 carries it at a lower bit rate.
  decoder->recover(trip.payloads[21], frame);
  EXPECT_NEAR(dominantFrequency(frame.view(), InternalRate), ToneHz, 30.0);
  EXPECT_GT(rmsLevel(frame.view()), 0.5 * Amplitude / std::sqrt(2.0));
  EXPECT_TRUE(decoder->decode(trip.payloads[21], frame));
}

}  // namespace
}  // namespace kefu::media
