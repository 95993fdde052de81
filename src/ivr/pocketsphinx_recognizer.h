#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/result.h"
#include "ivr/recognizer.h"

namespace kefu::ivr {

/**
 * Finds where speech starts and ends in a caller's audio by frame energy, so that only the
 * utterance goes to the decoder. Fed 20 ms frames at 16 kHz; lives on one thread (the call's
 * media thread) and never allocates after construction.
 */
class SpeechEndpointer {
 public:
  /** What the audio fed so far amounts to. */
  enum class State { Waiting, Speaking, Complete, NoInput };

  struct Config {
    /** No speech started within this much audio: NoInput. */
    std::chrono::milliseconds no_input{5000};
    /** Speech longer than this is complete as it is. */
    std::chrono::milliseconds max_speech{10000};
    /** Speech is complete after this much quiet. */
    std::chrono::milliseconds end_silence{500};
    /** Audio kept from before the start of speech (the onset of its first sound is quiet). */
    std::chrono::milliseconds pre_roll{300};
    /** A frame louder than this (dBFS, RMS) and `above_floor_db` over the noise floor is speech. */
    double speech_dbfs = -50;
    double above_floor_db = 12;
    /** Frames in a row that start speech (filters clicks). */
    int start_frames = 3;
  };

  explicit SpeechEndpointer(const Config& config);

  /** Adds one 20 ms frame (320 samples at 16 kHz); @return the state after it. */
  State feed(std::span<const std::int16_t> frame);
  /** @return the state reached. */
  State state() const { return state_; }
  /** @return the utterance: pre-roll, speech and the quiet after it (Complete only). */
  std::span<const std::int16_t> utterance() const { return utterance_; }

 private:
  const Config config_;
  const int no_input_frames_;
  const int max_speech_frames_;
  const int end_frames_;
  const std::size_t pre_roll_samples_;
  State state_ = State::Waiting;
  int frames_ = 0;                       // fed in all
  int loud_run_ = 0;                     // loud frames in a row while waiting
  int speech_frames_ = 0;                // since speech started
  int quiet_run_ = 0;                    // quiet frames in a row while speaking
  double floor_db_ = -90;                // the noise floor's estimate
  std::vector<std::int16_t> utterance_;  // while waiting: the pre-roll ring, in order
};

/** Where the pocketsphinx recognizer finds its model and how it runs. */
struct PocketsphinxOptions {
  /** The en-us model folder of Debian's pocketsphinx-en-us (holds en-us/ and the dictionary). */
  std::string model_dir = "/usr/share/pocketsphinx/model/en-us";
  /** How quiet speech must be to end an utterance, and how much audio is kept before it. */
  std::chrono::milliseconds end_silence{500};
  std::chrono::milliseconds pre_roll{300};
};

/**
 * @return a recognizer decoding English with pocketsphinx and JSGF grammars (digits, yes_no,
 * words), or Unavailable when the model cannot be loaded. The model is loaded here, once (about
 * 300 ms); utterances are decoded on the recognizer's own worker thread, never on the media
 * thread. Thread-safe.
 */
Result<SpeechRecognizerPtr> makePocketsphinxRecognizer(const PocketsphinxOptions& options = {});

}  // namespace kefu::ivr
