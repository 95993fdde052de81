#pragma once

#include <string_view>

#include "core/result.h"
#include "ivr/tts.h"

namespace kefu::ivr {

/**
 * @return flite rendering English at `rate` Hz (resampled from its voice's 16 kHz), or Unavailable
 * when Kefu was built without flite. Voices: `slt` (also `flite` and `flite:slt`). flite's voices
 * are shared objects: calls are serialized.
 */
Result<SpeechSynthesizerPtr> makeFliteSynthesizer(int rate = 8000);

/** @return whether `voice` names a flite voice (`slt`, `flite`, `flite:slt`). Pure; any thread. */
bool isFliteVoice(std::string_view voice);

/**
 * Sends each request to the engine of its voice: flite voices to flite, every other voice to
 * espeak-ng, so that a flow picks its engine with its `voices` map. Thread-safe as the engines.
 */
class VoiceRoutedSynthesizer final : public SpeechSynthesizer {
 public:
  /** Either engine may be null (not built, or not wanted): its voices then fail as Unavailable. */
  VoiceRoutedSynthesizer(SpeechSynthesizerPtr espeak, SpeechSynthesizerPtr flite);
  Result<SpeechAudioPtr> synthesize(const std::string& text, const std::string& voice) override;

 private:
  SpeechSynthesizerPtr espeak_;
  SpeechSynthesizerPtr flite_;
};

}  // namespace kefu::ivr
