#pragma once

#include <cstdint>
#include <mutex>

#include "ivr/recognizer.h"
#include "media/engine.h"

namespace kefu::ivr {

/**
 * A media tap that hands one session's decoded audio (16 kHz frames from the media engine) to the
 * recognition in progress, if any. onAudio() runs on the session's media thread; attach() and
 * detach() on any other thread (the control loop). A short lock keeps a stream from being
 * cancelled while a frame is being fed to it.
 */
class RecognizerTap final : public media::AudioTap {
 public:
  explicit RecognizerTap(media::SessionId session) : session_(session) {}

  void onAudio(media::SessionId session, const media::AudioFrame& frame) override;
  /** Feeds the session's next frames to `stream`, cancelling the one before. Any thread. */
  void attach(RecognitionStreamPtr stream);
  /** Cancels the stream in progress; no result of it comes after this returns. Any thread. */
  void detach();
  /** @return how many frames went to a stream. Any thread. */
  std::uint64_t framesFed() const;

 private:
  const media::SessionId session_;
  mutable std::mutex mutex_;
  RecognitionStreamPtr stream_;
  std::uint64_t frames_fed_ = 0;
};

}  // namespace kefu::ivr
