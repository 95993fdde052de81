#pragma once

#include <cstddef>

#include "media/audio.h"
#include "media/prompt.h"

namespace kefu::media {

/** Plays a prompt frame by frame. Lives on a media thread; fill() never allocates. */
class Player {
 public:
  /** Plays `prompt` once, or over and over when `loop` (a null or empty prompt plays nothing). */
  Player(PromptPtr prompt, bool loop);

  /** Writes the next 20 ms; @return false once the prompt has finished (frame = silence). */
  bool fill(AudioFrame& frame);
  /** Stops playing: the next fill() writes silence and returns false. */
  void stop() { stopped_ = true; }
  /** @return true once the prompt has played to its end (not looping) or stop() was called. */
  bool finished() const;

 private:
  PromptPtr prompt_;
  bool loop_;
  bool stopped_ = false;
  std::size_t position_ = 0;
};

}  // namespace kefu::media
