#include "media/player.h"

#include <algorithm>

namespace kefu::media {

Player::Player(PromptPtr prompt, bool loop) : prompt_(std::move(prompt)), loop_(loop) {}

bool Player::finished() const {
  return stopped_ || !prompt_ || prompt_->samples.empty() ||
         (!loop_ && position_ >= prompt_->samples.size());
}

bool Player::fill(AudioFrame& frame) {
  if (finished()) {
    frame.samples.fill(0);
    return false;
  }
  const std::vector<int16_t>& samples = prompt_->samples;
  std::size_t written = 0;
  while (written < FrameSamples) {
    if (position_ >= samples.size()) {
      if (!loop_) {
        break;
      }
      position_ = 0;
    }
    std::size_t n = std::min(FrameSamples - written, samples.size() - position_);
    std::copy_n(samples.begin() + static_cast<std::ptrdiff_t>(position_), n,
                frame.samples.begin() + static_cast<std::ptrdiff_t>(written));
    written += n;
    position_ += n;
  }
  std::fill(frame.samples.begin() + static_cast<std::ptrdiff_t>(written), frame.samples.end(),
            int16_t{0});
  return true;
}

}  // namespace kefu::media
