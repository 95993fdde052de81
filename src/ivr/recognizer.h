#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace kefu::ivr {

/** What a `listen`, `menu` (with words) or `intent` node asks the recognizer to hear. */
struct RecognitionRequest {
  std::string grammar;             // digits, yes_no, words, or free (an intent node)
  std::vector<std::string> words;  // the words grammar: the menu's keywords
  std::string language;            // the call's language (en, zh …)
  /** No speech started within this: the result is empty (no input). */
  std::chrono::milliseconds no_input{5000};
  /** Speech longer than this is cut and decoded as it is. */
  std::chrono::milliseconds max_speech{10000};
  /** Hypotheses below this confidence are answered as empty text (no match). */
  double min_confidence = 0.5;
};

/** What the recognizer heard. Empty `text` means no input or no match (the flow retries). */
struct RecognitionResult {
  bool ok = true;    // false: the engine failed; `error` says why (the flow takes its fallback)
  std::string text;  // the words heard, normalized (digits as "1 2 3" or "123" per grammar)
  double confidence = 0;  // in [0, 1]
  std::string error;
};

/**
 * One recognition in progress on one call's audio. feed() is called on the call's media thread
 * (from the media tap); cancel() from the control loop. The `done` callback given to
 * SpeechRecognizer::start is called at most once, from any thread, and never after cancel()
 * returns.
 */
class RecognitionStream {
 public:
  virtual ~RecognitionStream() = default;
  /** Adds mono 16-bit PCM at `rate` Hz heard from the caller. Media thread; must not block long. */
  virtual void feed(const std::int16_t* samples, std::size_t count, int rate) = 0;
  /** Stops the recognition; no `done` call comes after it returns. Any thread. */
  virtual void cancel() = 0;
};
using RecognitionStreamPtr = std::unique_ptr<RecognitionStream>;

/**
 * A speech recognizer (pocketsphinx with a JSGF grammar, or an HTTP speech service). Thread-safe:
 * start() may be called from the control loop for many calls at once.
 */
class SpeechRecognizer {
 public:
  virtual ~SpeechRecognizer() = default;
  /**
   * @return a stream to feed the caller's audio into, or null when the request cannot be served
   * (unknown language or grammar); in that case `done` is never called and the caller answers
   * the flow with a failure itself.
   */
  virtual RecognitionStreamPtr start(const RecognitionRequest& request,
                                     std::function<void(RecognitionResult)> done) = 0;
};
using SpeechRecognizerPtr = std::unique_ptr<SpeechRecognizer>;

}  // namespace kefu::ivr
