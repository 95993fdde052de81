#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "media/engine.h"
#include "media/prompt.h"

namespace kefu::media::testing {

/** @return a prompt of a `hz` tone lasting `ms` at the internal rate. */
PromptPtr tonePrompt(double hz, int ms);

/** @return a copy of the part of `audio` (16 kHz) from `from_ms` lasting `ms`, or what there is. */
std::vector<int16_t> window(const std::vector<int16_t>& audio, int from_ms, int ms);

/** @return how many times stronger `hz` is than `other_hz` in `pcm` (16 kHz). */
double powerRatio(std::span<const int16_t> pcm, double hz, double other_hz);

/** An AudioTap keeping everything it is given. */
class CollectingTap final : public AudioTap {
 public:
  void onAudio(SessionId session, const AudioFrame& frame) override;
  std::vector<int16_t> audio() const;

 private:
  mutable std::mutex mutex_;
  std::vector<int16_t> audio_;
};

/** A WAV file's channels, read with libsndfile. */
struct WavContents {
  int rate = 0;
  int channels = 0;
  std::vector<std::vector<int16_t>> channel;  // per channel
};
WavContents readWav(const std::string& path);

}  // namespace kefu::media::testing
