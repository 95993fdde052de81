#include "support/media/audio_checks.h"

#include <sndfile.h>

#include <algorithm>

#include "media/tone.h"

namespace kefu::media::testing {

PromptPtr tonePrompt(double hz, int ms) {
  std::vector<int16_t> pcm(static_cast<std::size_t>(InternalRate) * ms / 1000);
  ToneGenerator tone(hz, 0.3);
  tone.fill(pcm);
  return promptFromPcm(pcm, InternalRate);
}

std::vector<int16_t> window(const std::vector<int16_t>& audio, int from_ms, int ms) {
  std::size_t from = std::min(audio.size(), static_cast<std::size_t>(from_ms) * 16);
  std::size_t count = std::min(audio.size() - from, static_cast<std::size_t>(ms) * 16);
  auto begin = audio.begin() + static_cast<std::ptrdiff_t>(from);
  return std::vector<int16_t>(begin, begin + static_cast<std::ptrdiff_t>(count));
}

double powerRatio(std::span<const int16_t> pcm, double hz, double other_hz) {
  double other = tonePower(pcm, InternalRate, other_hz);
  return tonePower(pcm, InternalRate, hz) / std::max(other, 1e-12);
}

void CollectingTap::onAudio(SessionId, const AudioFrame& frame) {
  std::lock_guard lock(mutex_);
  audio_.insert(audio_.end(), frame.samples.begin(), frame.samples.end());
}

std::vector<int16_t> CollectingTap::audio() const {
  std::lock_guard lock(mutex_);
  return audio_;
}

WavContents readWav(const std::string& path) {
  WavContents contents;
  SF_INFO info{};
  SNDFILE* file = sf_open(path.c_str(), SFM_READ, &info);
  if (file == nullptr) {
    return contents;
  }
  contents.rate = info.samplerate;
  contents.channels = info.channels;
  std::vector<int16_t> interleaved(static_cast<std::size_t>(info.frames * info.channels));
  sf_count_t frames = sf_readf_short(file, interleaved.data(), info.frames);
  sf_close(file);
  contents.channel.resize(static_cast<std::size_t>(info.channels));
  for (sf_count_t i = 0; i < frames; ++i) {
    for (int c = 0; c < info.channels; ++c) {
      contents.channel[static_cast<std::size_t>(c)].push_back(
          interleaved[static_cast<std::size_t>(i * info.channels + c)]);
    }
  }
  return contents;
}

}  // namespace kefu::media::testing
