#include "media/recorder.h"

#include <gtest/gtest.h>
#include <sndfile.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>
#include <vector>

#include "media/tone.h"

namespace kefu::media {
namespace {

constexpr double LeftHz = 500;
constexpr double RightHz = 1500;

struct Wav {
  int rate = 0;
  int channels = 0;
  std::vector<int16_t> left;
  std::vector<int16_t> right;
};

// Reads the WAV as any player would; frames is -1 when libsndfile cannot open it.
Wav readWav(const std::string& path, sf_count_t* frames) {
  Wav wav;
  SF_INFO info{};
  SNDFILE* file = sf_open(path.c_str(), SFM_READ, &info);
  if (file == nullptr) {
    *frames = -1;
    return wav;
  }
  wav.rate = info.samplerate;
  wav.channels = info.channels;
  std::vector<int16_t> interleaved(static_cast<std::size_t>(info.frames * info.channels));
  *frames = sf_readf_short(file, interleaved.data(), info.frames);
  sf_close(file);
  for (std::size_t i = 0; i + 1 < interleaved.size(); i += 2) {
    wav.left.push_back(interleaved[i]);
    wav.right.push_back(interleaved[i + 1]);
  }
  return wav;
}

// The writer works on its own thread: wait (bounded) until the file holds `ticks` ticks.
Wav waitForTicks(const std::string& path, int ticks) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  sf_count_t frames = -1;
  Wav wav;
  while (std::chrono::steady_clock::now() < deadline) {
    wav = readWav(path, &frames);
    if (frames == static_cast<sf_count_t>(ticks) * static_cast<sf_count_t>(FrameSamples)) {
      return wav;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ADD_FAILURE() << path << " has " << frames << " frames, expected " << ticks * 320;
  return wav;
}

class RecorderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("kefu_recorder_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void writeTicks(Recorder& recorder, int ticks) {
    for (int i = 0; i < ticks; ++i) {
      AudioFrame left;
      AudioFrame right;
      left_.fill(left.view());
      right_.fill(right.view());
      recorder.write(left, right);
    }
  }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  std::filesystem::path dir_;
  ToneGenerator left_{LeftHz, 0.3};
  ToneGenerator right_{RightHz, 0.3};
};

void expectTones(const std::vector<int16_t>& left, const std::vector<int16_t>& right) {
  EXPECT_NEAR(dominantFrequency(left, InternalRate), LeftHz, 2.0);
  EXPECT_NEAR(dominantFrequency(right, InternalRate), RightHz, 2.0);
  // Each side carries only its own party.
  EXPECT_LT(tonePower(left, InternalRate, RightHz), 1e-4);
  EXPECT_LT(tonePower(right, InternalRate, LeftHz), 1e-4);
}

TEST_F(RecorderTest, WritesAStereoWavWithEachSideOnItsChannel) {
  RecordingWriter writer;
  Result<RecorderPtr> recorder = writer.open(path("call.wav"));
  ASSERT_TRUE(recorder.ok());
  writeTicks(**recorder, 50);
  EXPECT_EQ((*recorder)->droppedTicks(), 0u);
  recorder->reset();  // finalises the file on the writer
  Wav wav = waitForTicks(path("call.wav"), 50);
  EXPECT_EQ(wav.rate, InternalRate);
  EXPECT_EQ(wav.channels, 2);
  ASSERT_EQ(wav.left.size(), 16000u);  // 1 s
  expectTones(wav.left, wav.right);
}

TEST_F(RecorderTest, PauseWritesSilenceAndKeepsTheTimeline) {
  RecordingWriter writer;
  Result<RecorderPtr> recorder = writer.open(path("paused.wav"));
  ASSERT_TRUE(recorder.ok());
  writeTicks(**recorder, 20);
  (*recorder)->pause();
  writeTicks(**recorder, 10);
  (*recorder)->resume();
  writeTicks(**recorder, 20);
  recorder->reset();
  Wav wav = waitForTicks(path("paused.wav"), 50);
  ASSERT_EQ(wav.left.size(), 50 * FrameSamples);
  auto part = [](const std::vector<int16_t>& pcm, int first_tick, int ticks) {
    return std::span(pcm).subspan(first_tick * FrameSamples, ticks * FrameSamples);
  };
  EXPECT_EQ(rmsLevel(part(wav.left, 20, 10)), 0.0);
  EXPECT_EQ(rmsLevel(part(wav.right, 20, 10)), 0.0);
  EXPECT_GT(rmsLevel(part(wav.left, 0, 20)), 0.2);
  EXPECT_GT(rmsLevel(part(wav.right, 30, 20)), 0.2);
}

TEST_F(RecorderTest, TheFileIsPlayableWhileStillRecording) {
  // As if the process were killed now: nothing closes the file, yet a reader sees a valid WAV
  // of all the audio written so far.
  RecordingWriter writer;
  Result<RecorderPtr> recorder = writer.open(path("live.wav"));
  ASSERT_TRUE(recorder.ok());
  writeTicks(**recorder, 25);
  Wav wav = waitForTicks(path("live.wav"), 25);
  EXPECT_EQ(wav.channels, 2);
  expectTones(wav.left, wav.right);
  writeTicks(**recorder, 25);
  wav = waitForTicks(path("live.wav"), 50);
  expectTones(wav.left, wav.right);
}

TEST_F(RecorderTest, AWriterDestroyedMidwayLeavesAFileOfWhatWasWritten) {
  RecorderPtr recorder;
  {
    RecordingWriter writer;
    Result<RecorderPtr> opened = writer.open(path("cut.wav"));
    ASSERT_TRUE(opened.ok());
    recorder = std::move(*opened);
    writeTicks(*recorder, 30);
  }
  sf_count_t frames = 0;
  Wav wav = readWav(path("cut.wav"), &frames);
  EXPECT_EQ(frames, 30 * 320);
  expectTones(wav.left, wav.right);
  // Ticks after the writer has gone have nowhere to go: they are counted.
  writeTicks(*recorder, 5);
  EXPECT_EQ(recorder->droppedTicks(), 5u);
}

TEST_F(RecorderTest, AnEmptyRecordingIsAValidEmptyFile) {
  RecordingWriter writer;
  Result<RecorderPtr> recorder = writer.open(path("empty.wav"));
  ASSERT_TRUE(recorder.ok());
  sf_count_t frames = -1;
  readWav(path("empty.wav"), &frames);
  EXPECT_EQ(frames, 0);
}

TEST_F(RecorderTest, AnUnwritablePathIsAnErrorNamingIt) {
  RecordingWriter writer;
  std::string bad = path("no/such/dir/call.wav");
  Result<RecorderPtr> recorder = writer.open(bad);
  ASSERT_FALSE(recorder.ok());
  EXPECT_NE(recorder.error().message.find(bad), std::string::npos);
}

TEST_F(RecorderTest, ManyRecordingsAtOnceStaySeparate) {
  RecordingWriter writer;
  std::vector<RecorderPtr> recorders;
  for (int i = 0; i < 8; ++i) {
    Result<RecorderPtr> recorder = writer.open(path("many" + std::to_string(i) + ".wav"));
    ASSERT_TRUE(recorder.ok());
    recorders.push_back(std::move(*recorder));
  }
  for (int tick = 0; tick < 40; ++tick) {
    for (std::size_t i = 0; i < recorders.size(); ++i) {
      AudioFrame left;
      AudioFrame right;
      ToneGenerator(300 + 100 * static_cast<double>(i), 0.3).fill(left.view());
      recorders[i]->write(left, right);
    }
  }
  recorders.clear();
  for (int i = 0; i < 8; ++i) {
    Wav wav = waitForTicks(path("many" + std::to_string(i) + ".wav"), 40);
    // Each tick restarts its generator, so check the level, not the exact pitch.
    EXPECT_GT(tonePower(wav.left, InternalRate, 300 + 100 * i), 0.05) << i;
    EXPECT_EQ(rmsLevel(wav.right), 0.0);
  }
}

}  // namespace
}  // namespace kefu::media
