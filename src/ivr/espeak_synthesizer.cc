#include <fmt/format.h>

#include "ivr/tts.h"

#ifdef KEFU_HAVE_ESPEAK
#include <espeak-ng/speak_lib.h>

#include <mutex>

#include "media/resampler.h"
#endif

namespace kefu::ivr {

#ifdef KEFU_HAVE_ESPEAK
namespace {

/** espeak-ng is one process-wide engine; this lock serializes every use of it. */
std::mutex& engineMutex() {
  static std::mutex mutex;
  return mutex;
}

/** Collects the samples of one espeak_Synth call (its user_data). */
int collectSamples(short* samples, int count, espeak_EVENT* events) {
  if (samples != nullptr && count > 0 && events != nullptr && events->user_data != nullptr) {
    auto* out = static_cast<std::vector<std::int16_t>*>(events->user_data);
    out->insert(out->end(), samples, samples + count);
  }
  return 0;  // continue
}

class EspeakSynthesizer final : public SpeechSynthesizer {
 public:
  EspeakSynthesizer(int engine_rate, int rate) : engine_rate_(engine_rate), rate_(rate) {}

  Result<SpeechAudioPtr> synthesize(const std::string& text, const std::string& voice) override {
    std::vector<std::int16_t> pcm;
    {
      std::lock_guard lock(engineMutex());
      if (espeak_SetVoiceByName(voice.c_str()) != EE_OK) {
        return Error::invalid("voice", fmt::format("espeak-ng has no voice `{}`", voice));
      }
      espeak_SetSynthCallback(collectSamples);
      espeak_ERROR status = espeak_Synth(text.c_str(), text.size() + 1, 0, POS_CHARACTER, 0,
                                         espeakCHARS_UTF8, nullptr, &pcm);
      if (status != EE_OK) {
        return Error{ErrorCode::Unavailable, fmt::format("espeak-ng failed ({})", int{status}), {}};
      }
    }
    auto audio = std::make_shared<SpeechAudio>();
    audio->rate = rate_;
    if (engine_rate_ == rate_) {
      audio->samples = std::move(pcm);
    } else {
      media::Resampler resampler(engine_rate_, rate_);
      audio->samples.resize(pcm.size() * static_cast<std::size_t>(rate_) /
                                static_cast<std::size_t>(engine_rate_) +
                            64);
      audio->samples.resize(resampler.process(pcm, audio->samples));
    }
    return SpeechAudioPtr{std::move(audio)};
  }

 private:
  const int engine_rate_;
  const int rate_;
};

}  // namespace

Result<SpeechSynthesizerPtr> makeEspeakSynthesizer(int rate) {
  static int engine_rate = [] {
    std::lock_guard lock(engineMutex());
    return espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, nullptr, espeakINITIALIZE_DONT_EXIT);
  }();
  if (engine_rate <= 0) {
    return Error{
        ErrorCode::Unavailable, "espeak-ng did not start (is espeak-ng-data installed?)", {}};
  }
  return SpeechSynthesizerPtr{std::make_unique<EspeakSynthesizer>(engine_rate, rate)};
}

#else

Result<SpeechSynthesizerPtr> makeEspeakSynthesizer(int /*rate*/) {
  return Error{ErrorCode::Unavailable, "Kefu was built without espeak-ng (libespeak-ng-dev)", {}};
}

#endif

}  // namespace kefu::ivr
