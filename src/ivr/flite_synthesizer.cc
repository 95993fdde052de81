#include "ivr/flite_synthesizer.h"

#include <fmt/format.h>

#ifdef KEFU_HAVE_FLITE
#include <flite/flite.h>

#include <mutex>

#include "media/resampler.h"

extern "C" {
// flite's voice libraries export their registration functions without a header.
cst_voice* register_cmu_us_slt(const char* voxdir);  // NOLINT(readability-identifier-naming)
}
#endif

namespace kefu::ivr {

bool isFliteVoice(std::string_view voice) {
  return voice == "slt" || voice == "flite" || voice == "flite:slt";
}

#ifdef KEFU_HAVE_FLITE
namespace {

/** flite's voice and lexicon are process-wide objects; this lock serializes their use. */
std::mutex& fliteMutex() {
  static std::mutex mutex;
  return mutex;
}

/** @return the slt voice, registered once for the process (never freed, as flite expects). */
cst_voice* sltVoice() {
  static cst_voice* voice = [] {
    flite_init();
    return register_cmu_us_slt(nullptr);
  }();
  return voice;
}

class FliteSynthesizer final : public SpeechSynthesizer {
 public:
  explicit FliteSynthesizer(int rate) : rate_(rate) {}

  Result<SpeechAudioPtr> synthesize(const std::string& text, const std::string& voice) override {
    if (!isFliteVoice(voice)) {
      return Error::invalid("voice", fmt::format("flite has no voice `{}` (it has slt)", voice));
    }
    std::vector<std::int16_t> pcm;
    int engine_rate = 0;
    {
      std::lock_guard lock(fliteMutex());
      cst_voice* slt = sltVoice();
      if (slt == nullptr) {
        return Error{ErrorCode::Unavailable, "flite could not register the slt voice", {}};
      }
      cst_wave* wave = flite_text_to_wave(text.c_str(), slt);
      if (wave == nullptr) {
        return Error{ErrorCode::Unavailable, "flite rendered nothing", {}};
      }
      engine_rate = cst_wave_sample_rate(wave);
      pcm.assign(cst_wave_samples(wave), cst_wave_samples(wave) + cst_wave_num_samples(wave));
      delete_wave(wave);
    }
    auto audio = std::make_shared<SpeechAudio>();
    audio->rate = rate_;
    if (engine_rate == rate_ || engine_rate <= 0) {
      audio->rate = engine_rate > 0 ? engine_rate : rate_;
      audio->samples = std::move(pcm);
    } else {
      media::Resampler resampler(engine_rate, rate_);
      audio->samples.resize(pcm.size() * static_cast<std::size_t>(rate_) /
                                static_cast<std::size_t>(engine_rate) +
                            64);
      audio->samples.resize(resampler.process(pcm, audio->samples));
    }
    return SpeechAudioPtr{std::move(audio)};
  }

 private:
  const int rate_;
};

}  // namespace

Result<SpeechSynthesizerPtr> makeFliteSynthesizer(int rate) {
  return SpeechSynthesizerPtr{std::make_unique<FliteSynthesizer>(rate)};
}

#else

Result<SpeechSynthesizerPtr> makeFliteSynthesizer(int /*rate*/) {
  return Error{ErrorCode::Unavailable, "Kefu was built without flite (flite1-dev)", {}};
}

#endif

VoiceRoutedSynthesizer::VoiceRoutedSynthesizer(SpeechSynthesizerPtr espeak,
                                               SpeechSynthesizerPtr flite)
    : espeak_(std::move(espeak)), flite_(std::move(flite)) {}

Result<SpeechAudioPtr> VoiceRoutedSynthesizer::synthesize(const std::string& text,
                                                          const std::string& voice) {
  SpeechSynthesizer* engine = isFliteVoice(voice) ? flite_.get() : espeak_.get();
  if (engine == nullptr) {
    return Error{ErrorCode::Unavailable,
                 fmt::format("no TTS engine for voice `{}` in this build", voice),
                 {}};
  }
  return engine->synthesize(text, voice);
}

}  // namespace kefu::ivr
