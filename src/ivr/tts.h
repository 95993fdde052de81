#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/result.h"

namespace kefu::ivr {

/** Rendered speech: mono 16-bit PCM. Immutable once built, shared by every call that plays it. */
struct SpeechAudio {
  std::vector<std::int16_t> samples;
  int rate = 8000;
};
using SpeechAudioPtr = std::shared_ptr<const SpeechAudio>;

/**
 * Text to speech. Blocking (tens of ms): call it from a blocking pool, never on the control loop
 * or a media thread. Thread-safe.
 */
class SpeechSynthesizer {
 public:
  virtual ~SpeechSynthesizer() = default;
  /** @return `text` spoken with `voice` (en, cmn …), or an error naming the voice or engine. */
  [[nodiscard]] virtual Result<SpeechAudioPtr> synthesize(const std::string& text,
                                                          const std::string& voice) = 0;
};
using SpeechSynthesizerPtr = std::unique_ptr<SpeechSynthesizer>;

/**
 * @return espeak-ng rendering at `rate` Hz (resampled from its 22,050 Hz), or Unavailable when
 * Kefu was built without espeak-ng. espeak-ng is one global engine: calls are serialized.
 */
Result<SpeechSynthesizerPtr> makeEspeakSynthesizer(int rate = 8000);

/**
 * Caches another synthesizer's audio by voice and text, keeping the `capacity` most recently used
 * prompts. Thread-safe; two threads asking for the same new text may both render it once.
 */
class CachedSynthesizer final : public SpeechSynthesizer {
 public:
  CachedSynthesizer(SpeechSynthesizer& engine, std::size_t capacity);
  Result<SpeechAudioPtr> synthesize(const std::string& text, const std::string& voice) override;
  /** @return how many requests the cache answered. Any thread. */
  std::uint64_t hits() const;
  /** @return how many requests went to the engine. Any thread. */
  std::uint64_t misses() const;

 private:
  using Key = std::pair<std::string, std::string>;  // voice, text

  SpeechSynthesizer& engine_;  // not owned; outlives this
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::list<Key> recent_;  // most recently used first
  std::map<Key, std::pair<SpeechAudioPtr, std::list<Key>::iterator>> entries_;
  std::uint64_t hits_ = 0;
  std::uint64_t misses_ = 0;
};

}  // namespace kefu::ivr
