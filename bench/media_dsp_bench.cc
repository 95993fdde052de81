// Cost per 20 ms frame of the media engine's audio processing (Google Benchmark):
// codecs (encode and decode, G.711 including the 16 <-> 8 kHz resampling), the G.711 tables on
// the relay fast path, DTMF detection, the mixer and the jitter buffer.
//
// usage: kefu_media_dsp_bench [--benchmark_filter=REGEX]
#include <benchmark/benchmark.h>

#include <array>
#include <random>
#include <vector>

#include "media/codec.h"
#include "media/dtmf.h"
#include "media/g711.h"
#include "media/jitter_buffer.h"
#include "media/mixer.h"
#include "media/tone.h"

namespace kefu::media {
namespace {

constexpr int SignalFrames = 50;

// One second of a voice-like signal: two tones and some noise, so codecs have work to do.
std::vector<AudioFrame> signal() {
  std::vector<AudioFrame> frames(SignalFrames);
  ToneGenerator low(220, 0.2);
  ToneGenerator high(1330, 0.1);
  std::mt19937 random(1);
  std::uniform_int_distribution<int> noise(-800, 800);
  for (AudioFrame& frame : frames) {
    AudioFrame other;
    low.fill(frame.view());
    high.fill(other.view());
    for (std::size_t i = 0; i < FrameSamples; ++i) {
      frame.samples[i] = static_cast<int16_t>(frame.samples[i] + other.samples[i] + noise(random));
    }
  }
  return frames;
}

void encode(benchmark::State& state, CodecId codec) {
  std::vector<AudioFrame> frames = signal();
  EncoderPtr encoder = makeEncoder(codec);
  std::array<uint8_t, MaxPayloadBytes> payload{};
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(encoder->encode(frames[i++ % frames.size()], payload));
  }
}

void decode(benchmark::State& state, CodecId codec) {
  std::vector<AudioFrame> frames = signal();
  EncoderPtr encoder = makeEncoder(codec);
  std::vector<std::vector<uint8_t>> payloads;
  for (const AudioFrame& frame : frames) {
    std::array<uint8_t, MaxPayloadBytes> payload{};
    std::size_t size = encoder->encode(frame, payload);
    payloads.emplace_back(payload.begin(), payload.begin() + static_cast<std::ptrdiff_t>(size));
  }
  DecoderPtr decoder = makeDecoder(codec);
  AudioFrame out;
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(decoder->decode(payloads[i++ % payloads.size()], out));
  }
}

BENCHMARK_CAPTURE(encode, pcmu, CodecId::Pcmu);
BENCHMARK_CAPTURE(decode, pcmu, CodecId::Pcmu);
BENCHMARK_CAPTURE(encode, g722, CodecId::G722);
BENCHMARK_CAPTURE(decode, g722, CodecId::G722);
BENCHMARK_CAPTURE(encode, opus, CodecId::Opus);
BENCHMARK_CAPTURE(decode, opus, CodecId::Opus);

// PCMU -> PCMA of one 160-byte packet through the tables, as a relay between the two would.
void ulawToAlawPacket(benchmark::State& state) {
  std::array<uint8_t, 160> in{};
  for (std::size_t i = 0; i < in.size(); ++i) {
    in[i] = static_cast<uint8_t>(i * 37);
  }
  std::array<uint8_t, 160> out{};
  for (auto _ : state) {
    for (std::size_t i = 0; i < in.size(); ++i) {
      out[i] = linearToAlaw(ulawToLinear(in[i]));
    }
    benchmark::DoNotOptimize(out);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(ulawToAlawPacket);

void dtmfDetect(benchmark::State& state) {
  std::vector<AudioFrame> frames = signal();
  DtmfDetector detector;
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(detector.feed(frames[i++ % frames.size()]));
  }
}
BENCHMARK(dtmfDetect);

// One tick of a conference of N speakers.
void mix(benchmark::State& state) {
  std::vector<AudioFrame> frames = signal();
  Mixer mixer;
  const auto parties = static_cast<Mixer::ParticipantId>(state.range(0));
  for (Mixer::ParticipantId id = 1; id <= parties; ++id) {
    mixer.add(id, Mixer::Role::Speaker);
  }
  for (auto _ : state) {
    for (Mixer::ParticipantId id = 1; id <= parties; ++id) {
      mixer.input(id) = frames[id % frames.size()];
    }
    mixer.mix();
    benchmark::DoNotOptimize(mixer.output(1).samples[0]);
  }
}
BENCHMARK(mix)->Arg(3)->Arg(10)->Arg(50);

// One put and one pop of a PCMU packet.
void jitterBuffer(benchmark::State& state) {
  JitterBuffer buffer({});
  std::array<uint8_t, 160> payload{};
  uint16_t sequence = 0;
  uint32_t timestamp = 0;
  int64_t now = 0;
  for (auto _ : state) {
    buffer.put(sequence++, timestamp, payload, now);
    timestamp += 160;
    now += 20;
    benchmark::DoNotOptimize(buffer.pop(now).kind);
  }
}
BENCHMARK(jitterBuffer);

}  // namespace
}  // namespace kefu::media

BENCHMARK_MAIN();
