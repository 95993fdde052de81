// Endpointing of a caller's audio by energy: where speech starts and ends, no input, and speech
// that goes on too long. Synthetic 16 kHz frames; nothing here waits.

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "ivr/pocketsphinx_recognizer.h"
#include "media/audio.h"

namespace kefu::ivr {
namespace {

using namespace std::chrono_literals;
using State = SpeechEndpointer::State;

constexpr std::size_t Frame = media::FrameSamples;

/** @return one 20 ms frame of a 440 Hz tone at `amplitude` (0 for silence), continuing `phase`. */
std::vector<std::int16_t> toneFrame(double amplitude, std::size_t& phase) {
  std::vector<std::int16_t> frame(Frame);
  for (auto& sample : frame) {
    sample = static_cast<std::int16_t>(
        amplitude * std::sin(2 * std::numbers::pi * 440.0 * static_cast<double>(phase++) / 16000));
  }
  return frame;
}

SpeechEndpointer::Config config() {
  return {.no_input = 1000ms, .max_speech = 2000ms, .end_silence = 500ms, .pre_roll = 300ms};
}

TEST(SpeechEndpointerTest, SilenceIsNoInputAtTheLimitNotBefore) {
  SpeechEndpointer endpointer(config());
  std::size_t phase = 0;
  for (int i = 0; i < 49; ++i) {
    ASSERT_EQ(endpointer.feed(toneFrame(0, phase)), State::Waiting) << i;
  }
  EXPECT_EQ(endpointer.feed(toneFrame(0, phase)), State::NoInput);     // 50 frames: 1 s
  EXPECT_EQ(endpointer.feed(toneFrame(8000, phase)), State::NoInput);  // and it stays so
}

TEST(SpeechEndpointerTest, LineNoiseIsNotSpeech) {
  SpeechEndpointer endpointer(config());
  std::size_t phase = 0;
  State state = State::Waiting;
  for (int i = 0; i < 50; ++i) {
    state = endpointer.feed(toneFrame(30, phase));  // about -60 dBFS: a quiet line's hiss
  }
  EXPECT_EQ(state, State::NoInput);
}

TEST(SpeechEndpointerTest, ToneBurstThenSilenceIsAnUtteranceWithItsPreRoll) {
  SpeechEndpointer endpointer(config());
  std::size_t phase = 0;
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(endpointer.feed(toneFrame(0, phase)), State::Waiting);
  }
  for (int i = 0; i < 25; ++i) {  // 500 ms of "speech"
    endpointer.feed(toneFrame(8000, phase));
  }
  EXPECT_EQ(endpointer.state(), State::Speaking);
  State state = State::Speaking;
  int quiet = 0;
  while (state == State::Speaking && quiet < 100) {
    state = endpointer.feed(toneFrame(0, phase));
    ++quiet;
  }
  EXPECT_EQ(state, State::Complete);
  EXPECT_EQ(quiet, 25);  // 500 ms of quiet ends it
  // 300 ms before the tone (15 frames), the tone, and the quiet that ended it.
  EXPECT_EQ(endpointer.utterance().size(), (15 + 25 + 25) * Frame);
  // The pre-roll is silent and the tone starts right after it.
  EXPECT_EQ(endpointer.utterance()[15 * Frame - 1], 0);
  EXPECT_NE(endpointer.utterance()[15 * Frame + 10], 0);
}

TEST(SpeechEndpointerTest, AClickDoesNotStartSpeech) {
  SpeechEndpointer endpointer(config());
  std::size_t phase = 0;
  endpointer.feed(toneFrame(0, phase));
  endpointer.feed(toneFrame(8000, phase));
  endpointer.feed(toneFrame(8000, phase));  // 40 ms: shorter than the 60 ms start
  EXPECT_EQ(endpointer.feed(toneFrame(0, phase)), State::Waiting);
}

TEST(SpeechEndpointerTest, EndlessSpeechIsCutAtMaxSpeech) {
  SpeechEndpointer endpointer(config());
  std::size_t phase = 0;
  int frames = 0;
  State state = State::Waiting;
  while (state != State::Complete && frames < 500) {
    state = endpointer.feed(toneFrame(8000, phase));
    ++frames;
  }
  EXPECT_EQ(state, State::Complete);
  EXPECT_EQ(frames, 100);  // 2 s
}

}  // namespace
}  // namespace kefu::ivr
