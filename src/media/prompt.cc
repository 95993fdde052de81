#include "media/prompt.h"

#include <sndfile.h>

#include <algorithm>

#include "media/audio.h"
#include "media/resampler.h"

namespace kefu::media {

PromptPtr promptFromPcm(std::span<const int16_t> pcm, int rate) {
  auto prompt = std::make_shared<Prompt>();
  if (pcm.empty() || rate <= 0) {
    return prompt;
  }
  if (rate == InternalRate) {
    prompt->samples.assign(pcm.begin(), pcm.end());
    return prompt;
  }
  // A one-shot conversion: feed the whole input, then enough silence to push the filter's delay
  // out, and drop that delay from the front, so the prompt keeps its length and its timing.
  Resampler resampler(rate, InternalRate);
  const auto expected =
      static_cast<std::size_t>(static_cast<int64_t>(pcm.size()) * InternalRate / rate);
  const auto latency = static_cast<std::size_t>(resampler.outputLatency());
  std::vector<int16_t> converted(expected + latency + 64);
  std::size_t written = resampler.process(pcm, converted);
  std::vector<int16_t> tail(
      static_cast<std::size_t>(static_cast<int64_t>(latency + 64) * rate / InternalRate + 64));
  written += resampler.process(tail, std::span(converted).subspan(written));
  std::size_t begin = std::min(latency, written);
  std::size_t end = std::min(begin + expected, written);
  prompt->samples.assign(converted.begin() + static_cast<std::ptrdiff_t>(begin),
                         converted.begin() + static_cast<std::ptrdiff_t>(end));
  return prompt;
}

Result<PromptPtr> loadWav(const std::string& path) {
  SF_INFO info{};
  SNDFILE* file = sf_open(path.c_str(), SFM_READ, &info);
  if (file == nullptr) {
    return Error::invalid("path", "cannot read sound file " + path + ": " + sf_strerror(nullptr));
  }
  if (info.channels <= 0 || info.samplerate <= 0 || info.frames < 0) {
    sf_close(file);
    return Error::invalid("path", "sound file " + path + " has no audio format");
  }
  const auto channels = static_cast<std::size_t>(info.channels);
  std::vector<int16_t> interleaved(static_cast<std::size_t>(info.frames) * channels);
  sf_count_t frames = sf_readf_short(file, interleaved.data(), info.frames);
  sf_close(file);
  if (frames < 0) {
    return Error::invalid("path", "cannot decode sound file " + path);
  }
  std::vector<int16_t> mono(static_cast<std::size_t>(frames));
  for (std::size_t i = 0; i < mono.size(); ++i) {
    int32_t sum = 0;
    for (std::size_t c = 0; c < channels; ++c) {
      sum += interleaved[i * channels + c];
    }
    mono[i] = static_cast<int16_t>(sum / static_cast<int32_t>(channels));
  }
  return promptFromPcm(mono, info.samplerate);
}

}  // namespace kefu::media
