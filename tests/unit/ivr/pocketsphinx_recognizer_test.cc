// The pocketsphinx recognizer on real and synthetic audio: spoken digits from the shared
// recordings, flite's speech, silence and a tone. Needs Debian's pocketsphinx-en-us and flite
// (scripts/deps.sh). Decoding runs on the recognizer's worker, so a test waits for its answer
// (bounded, so that a hang fails instead of blocking).

#include "ivr/pocketsphinx_recognizer.h"

#include <gtest/gtest.h>
#include <sndfile.h>

#include <cmath>
#include <condition_variable>
#include <mutex>
#include <numbers>
#include <optional>

#include "ivr/flite_synthesizer.h"

namespace kefu::ivr {
namespace {

using namespace std::chrono_literals;

/** One recognition's answers, as `done` delivers them. */
struct Answers {
  std::mutex mutex;
  std::condition_variable ready;
  std::vector<RecognitionResult> results;

  std::function<void(RecognitionResult)> done() {
    return [this](RecognitionResult result) {
      std::lock_guard lock(mutex);
      results.push_back(std::move(result));
      ready.notify_all();
    };
  }
  /** @return the first answer, or nullopt when none came within 20 s. */
  std::optional<RecognitionResult> wait() {
    std::unique_lock lock(mutex);
    if (!ready.wait_for(lock, 20s, [this] { return !results.empty(); })) {
      return std::nullopt;
    }
    return results.front();
  }
  std::size_t count() {
    std::lock_guard lock(mutex);
    return results.size();
  }
};

SpeechRecognizer& recognizer() {
  // Loaded once for the whole binary, as a server does.
  static SpeechRecognizerPtr instance = [] {
    auto made = makePocketsphinxRecognizer();
    EXPECT_TRUE(made.ok()) << made.error().message;
    return made.ok() ? std::move(*made) : nullptr;
  }();
  if (instance == nullptr) {
    throw std::runtime_error("no pocketsphinx model at /usr/share/pocketsphinx/model/en-us");
  }
  return *instance;
}

RecognitionRequest digits() {
  RecognitionRequest request;
  request.grammar = "digits";
  request.language = "en";
  request.min_confidence = 0;
  return request;
}

std::vector<std::int16_t> readWav(const std::string& path, int& rate) {
  SF_INFO info{};
  SNDFILE* file = sf_open(path.c_str(), SFM_READ, &info);
  if (file == nullptr) {
    return {};
  }
  std::vector<std::int16_t> samples(static_cast<std::size_t>(info.frames));
  sf_readf_short(file, samples.data(), info.frames);
  sf_close(file);
  rate = info.samplerate;
  return samples;
}

/** Feeds `pcm` at `rate` in 20 ms pieces between `pad` of silence, as a call's tap would. */
void feedPadded(RecognitionStream& stream, const std::vector<std::int16_t>& pcm, int rate,
                std::chrono::milliseconds pad) {
  const auto piece = static_cast<std::size_t>(rate / 50);
  std::vector<std::int16_t> audio(static_cast<std::size_t>(rate * pad.count() / 1000), 0);
  audio.insert(audio.end(), pcm.begin(), pcm.end());
  audio.insert(audio.end(), static_cast<std::size_t>(rate * pad.count() / 1000), 0);
  for (std::size_t at = 0; at < audio.size(); at += piece) {
    stream.feed(audio.data() + at, std::min(piece, audio.size() - at), rate);
  }
}

TEST(PocketsphinxRecognizerTest, SilenceIsNoInputWithoutWaitingForTheWorker) {
  auto request = digits();
  request.no_input = 1000ms;
  Answers answers;
  auto stream = recognizer().start(request, answers.done());
  ASSERT_NE(stream, nullptr);
  std::vector<std::int16_t> silence(320, 0);
  for (int i = 0; i < 49; ++i) {
    stream->feed(silence.data(), silence.size(), 16000);
  }
  EXPECT_EQ(answers.count(), 0U);
  stream->feed(silence.data(), silence.size(), 16000);  // 1 s of silence
  ASSERT_EQ(answers.count(), 1U);
  EXPECT_TRUE(answers.results[0].ok);
  EXPECT_EQ(answers.results[0].text, "");
}

TEST(PocketsphinxRecognizerTest, AToneBurstGetsAnAnswerNotAHang) {
  Answers answers;
  auto stream = recognizer().start(digits(), answers.done());
  ASSERT_NE(stream, nullptr);
  std::vector<std::int16_t> tone(8000);  // 0.5 s of 1 kHz at 16 kHz
  for (std::size_t i = 0; i < tone.size(); ++i) {
    tone[i] = static_cast<std::int16_t>(
        8000 * std::sin(2 * std::numbers::pi * 1000.0 * static_cast<double>(i) / 16000));
  }
  feedPadded(*stream, tone, 16000, 600ms);
  auto result = answers.wait();
  ASSERT_TRUE(result.has_value()) << "no answer for a tone burst";
  EXPECT_TRUE(result->ok) << result->error;
  // Whatever the grammar makes of a tone, it is digits or nothing (no match).
  EXPECT_EQ(result->text.find_first_not_of("0123456789"), std::string::npos) << result->text;
}

TEST(PocketsphinxRecognizerTest, RecognizesSpokenDigitsFromTheSharedRecordings) {
  // One file per digit, speakers in turn, recording indices in turn: chosen by rule, not by result.
  const std::vector<std::string> files{"0_jackson_5", "1_theo_6",    "2_nicolas_7", "3_yweweler_8",
                                       "4_lucas_9",   "5_george_5",  "6_jackson_6", "7_theo_7",
                                       "8_nicolas_8", "9_yweweler_9"};
  int correct = 0;
  std::string heard;
  for (const auto& name : files) {
    int rate = 0;
    auto pcm = readWav(KEFU_SOURCE_DIR "/tests/data/speech/digits/" + name + ".wav", rate);
    ASSERT_FALSE(pcm.empty()) << name;
    ASSERT_EQ(rate, 8000);
    Answers answers;
    auto stream = recognizer().start(digits(), answers.done());
    ASSERT_NE(stream, nullptr);
    feedPadded(*stream, pcm, rate, 600ms);  // 8 kHz: the stream upsamples it
    auto result = answers.wait();
    ASSERT_TRUE(result.has_value()) << name;
    ASSERT_TRUE(result->ok) << result->error;
    heard += name + "=" + result->text + " ";
    correct += result->text == name.substr(0, 1) ? 1 : 0;
  }
  EXPECT_GE(correct, 7) << heard;
}

TEST(PocketsphinxRecognizerTest, RecognizesFliteSpeechWithTheYesNoAndWordsGrammars) {
  auto flite = makeFliteSynthesizer(8000);
  ASSERT_TRUE(flite.ok()) << flite.error().message;
  auto request = digits();
  request.grammar = "yes_no";
  for (const char* said : {"yes", "no"}) {
    auto audio = (*flite)->synthesize(said, "slt");
    ASSERT_TRUE(audio.ok());
    Answers answers;
    auto stream = recognizer().start(request, answers.done());
    ASSERT_NE(stream, nullptr);
    feedPadded(*stream, (*audio)->samples, (*audio)->rate, 600ms);
    auto result = answers.wait();
    ASSERT_TRUE(result.has_value());
    EXPECT_EQ(result->text, said);
    EXPECT_GT(result->confidence, 0.0);
  }
  request.grammar = "words";
  request.words = {"balance", "lost card", "loans"};
  auto audio = (*flite)->synthesize("lost card", "slt");
  ASSERT_TRUE(audio.ok());
  Answers answers;
  auto stream = recognizer().start(request, answers.done());
  ASSERT_NE(stream, nullptr);
  feedPadded(*stream, (*audio)->samples, (*audio)->rate, 600ms);
  auto result = answers.wait();
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->text, "lost card");
}

TEST(PocketsphinxRecognizerTest, ConfidenceBelowTheThresholdIsNoMatch) {
  auto flite = makeFliteSynthesizer(8000);
  ASSERT_TRUE(flite.ok());
  auto audio = (*flite)->synthesize("four two", "slt");
  ASSERT_TRUE(audio.ok());
  auto request = digits();
  request.min_confidence = 1.01;  // no hypothesis can reach it
  Answers answers;
  auto stream = recognizer().start(request, answers.done());
  ASSERT_NE(stream, nullptr);
  feedPadded(*stream, (*audio)->samples, (*audio)->rate, 600ms);
  auto result = answers.wait();
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(result->ok);
  EXPECT_EQ(result->text, "");
}

TEST(PocketsphinxRecognizerTest, ACancelledStreamNeverAnswers) {
  auto flite = makeFliteSynthesizer(8000);
  ASSERT_TRUE(flite.ok());
  auto audio = (*flite)->synthesize("seven", "slt");
  ASSERT_TRUE(audio.ok());
  Answers cancelled;
  auto first = recognizer().start(digits(), cancelled.done());
  ASSERT_NE(first, nullptr);
  feedPadded(*first, (*audio)->samples, (*audio)->rate, 600ms);  // queued for the worker
  first->cancel();
  // The worker decodes in order: once the second stream is answered, the first was dropped.
  Answers second;
  auto next = recognizer().start(digits(), second.done());
  ASSERT_NE(next, nullptr);
  feedPadded(*next, (*audio)->samples, (*audio)->rate, 600ms);
  ASSERT_TRUE(second.wait().has_value());
  EXPECT_EQ(cancelled.count(), 0U);
}

TEST(PocketsphinxRecognizerTest, RefusesWhatItCannotServe) {
  Answers answers;
  auto request = digits();
  request.language = "zh";
  EXPECT_EQ(recognizer().start(request, answers.done()), nullptr);
  request.language = "en";
  request.grammar = "free";
  EXPECT_EQ(recognizer().start(request, answers.done()), nullptr);
  EXPECT_EQ(answers.count(), 0U);
}

}  // namespace
}  // namespace kefu::ivr
