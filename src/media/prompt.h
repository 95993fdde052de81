#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/result.h"

namespace kefu::media {

/** Audio callers hear: internal rate, mono; immutable once built, shared between players. */
struct Prompt {
  std::vector<int16_t> samples;
};
using PromptPtr = std::shared_ptr<const Prompt>;

/**
 * @return the prompt in a sound file of any rate, channel count and format libsndfile reads
 * (channels are averaged, the rate converted), or an error naming the path. Blocking: never call
 * it on a media thread.
 */
[[nodiscard]] Result<PromptPtr> loadWav(const std::string& path);

/** @return a prompt from mono PCM at `rate` (e.g. TTS output at its own rate). Allocates. */
PromptPtr promptFromPcm(std::span<const int16_t> pcm, int rate);

}  // namespace kefu::media
