#include "ivr/recognizer_tap.h"

#include <utility>

namespace kefu::ivr {

void RecognizerTap::onAudio(media::SessionId session, const media::AudioFrame& frame) {
  if (session != session_) {
    return;  // a tap is set per session; another session's audio is not this caller's
  }
  std::lock_guard lock(mutex_);
  if (stream_ != nullptr) {
    stream_->feed(frame.samples.data(), frame.samples.size(), media::InternalRate);
    ++frames_fed_;
  }
}

void RecognizerTap::attach(RecognitionStreamPtr stream) {
  RecognitionStreamPtr previous;
  {
    std::lock_guard lock(mutex_);
    previous = std::exchange(stream_, std::move(stream));
  }
  if (previous != nullptr) {
    previous->cancel();
  }
}

void RecognizerTap::detach() { attach(nullptr); }

std::uint64_t RecognizerTap::framesFed() const {
  std::lock_guard lock(mutex_);
  return frames_fed_;
}

}  // namespace kefu::ivr
