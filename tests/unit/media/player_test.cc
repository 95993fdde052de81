#include "media/player.h"

#include <gtest/gtest.h>
#include <sndfile.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "media/tone.h"

namespace kefu::media {
namespace {

constexpr double ToneHz = 1000;

class PlayerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() / ("kefu_player_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Writes `seconds` of a 1 kHz tone at `rate` with `channels` (all carrying the tone).
  std::string writeWav(const std::string& name, int rate, int channels, double seconds,
                       int format = SF_FORMAT_WAV | SF_FORMAT_PCM_16) {
    std::string path = (dir_ / name).string();
    SF_INFO info{};
    info.samplerate = rate;
    info.channels = channels;
    info.format = format;
    SNDFILE* file = sf_open(path.c_str(), SFM_WRITE, &info);
    EXPECT_NE(file, nullptr) << sf_strerror(nullptr);
    const auto frames = static_cast<std::size_t>(seconds * rate);
    std::vector<int16_t> mono(frames);
    ToneGenerator(ToneHz, 0.5, rate).fill(mono);
    std::vector<int16_t> interleaved(frames * static_cast<std::size_t>(channels));
    for (std::size_t i = 0; i < frames; ++i) {
      for (int c = 0; c < channels; ++c) {
        interleaved[i * static_cast<std::size_t>(channels) + static_cast<std::size_t>(c)] = mono[i];
      }
    }
    sf_writef_short(file, interleaved.data(), static_cast<sf_count_t>(frames));
    sf_close(file);
    return path;
  }

  std::filesystem::path dir_;
};

// @return everything the player wrote until it finished, and how many frames that took.
std::vector<int16_t> playAll(Player& player, int* frames) {
  std::vector<int16_t> pcm;
  AudioFrame frame;
  *frames = 0;
  while (player.fill(frame)) {
    ++*frames;
    pcm.insert(pcm.end(), frame.samples.begin(), frame.samples.end());
    if (*frames > 1000) {
      break;
    }
  }
  return pcm;
}

TEST_F(PlayerTest, PlaysFilesOfAnyRateAndChannelCountAtTheirLengthAndPitch) {
  struct Case {
    std::string name;
    int rate;
    int channels;
    int format;
  };
  const std::vector<Case> cases = {
      {"8k.wav", 8000, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16},
      {"16k.wav", 16000, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16},
      {"44k1.wav", 44100, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16},
      {"stereo48k.wav", 48000, 2, SF_FORMAT_WAV | SF_FORMAT_PCM_16},
      {"ulaw8k.wav", 8000, 1, SF_FORMAT_WAV | SF_FORMAT_ULAW},
  };
  for (const Case& c : cases) {
    Result<PromptPtr> prompt = loadWav(writeWav(c.name, c.rate, c.channels, 1.0, c.format));
    ASSERT_TRUE(prompt.ok()) << c.name;
    EXPECT_NEAR(static_cast<double>((*prompt)->samples.size()), InternalRate, 2) << c.name;
    Player player(*prompt, false);
    int frames = 0;
    std::vector<int16_t> pcm = playAll(player, &frames);
    EXPECT_EQ(frames, 50) << c.name;  // 1 s of 20 ms frames
    EXPECT_TRUE(player.finished());
    EXPECT_NEAR(dominantFrequency(pcm, InternalRate), ToneHz, 2.0) << c.name;
    EXPECT_NEAR(rmsLevel(std::span(pcm).subspan(1600, 12800)), 0.5 / std::sqrt(2.0), 0.02)
        << c.name;
  }
}

TEST_F(PlayerTest, APartialLastFrameIsPaddedWithSilence) {
  Result<PromptPtr> prompt = loadWav(writeWav("short.wav", 16000, 1, 0.03));
  ASSERT_TRUE(prompt.ok());
  Player player(*prompt, false);
  AudioFrame frame;
  EXPECT_TRUE(player.fill(frame));
  EXPECT_TRUE(player.fill(frame));
  EXPECT_GT(rmsLevel(std::span(frame.samples).first(160)), 0.3);
  EXPECT_EQ(rmsLevel(std::span(frame.samples).last(160)), 0.0);
  EXPECT_FALSE(player.fill(frame));
  EXPECT_EQ(rmsLevel(frame.view()), 0.0);
}

TEST_F(PlayerTest, LoopsUntilStopped) {
  std::vector<int16_t> pcm(5000);  // not a whole number of frames
  ToneGenerator(ToneHz, 0.5).fill(pcm);
  Player player(promptFromPcm(pcm, InternalRate), true);
  AudioFrame frame;
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(player.fill(frame));
    ASSERT_GT(rmsLevel(frame.view()), 0.2);  // no gap at the seam
  }
  EXPECT_FALSE(player.finished());
  player.stop();
  EXPECT_TRUE(player.finished());
  EXPECT_FALSE(player.fill(frame));
  EXPECT_EQ(rmsLevel(frame.view()), 0.0);
}

TEST_F(PlayerTest, StopsAPromptMidway) {
  Result<PromptPtr> prompt = loadWav(writeWav("long.wav", 8000, 1, 2.0));
  ASSERT_TRUE(prompt.ok());
  Player player(*prompt, false);
  AudioFrame frame;
  EXPECT_TRUE(player.fill(frame));
  player.stop();
  EXPECT_FALSE(player.fill(frame));
}

TEST_F(PlayerTest, AnEmptyPromptHasFinishedAtOnce) {
  Player player(promptFromPcm({}, 8000), false);
  AudioFrame frame;
  EXPECT_TRUE(player.finished());
  EXPECT_FALSE(player.fill(frame));
  Player none(nullptr, true);
  EXPECT_FALSE(none.fill(frame));
}

TEST_F(PlayerTest, AMissingOrBrokenFileIsAnErrorNamingThePath) {
  Result<PromptPtr> missing = loadWav((dir_ / "missing.wav").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("missing.wav"), std::string::npos);
  std::string junk = (dir_ / "junk.wav").string();
  FILE* file = std::fopen(junk.c_str(), "w");
  std::fputs("this is not a wav file", file);
  std::fclose(file);
  Result<PromptPtr> broken = loadWav(junk);
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.error().message.find("junk.wav"), std::string::npos);
}

TEST(PromptTest, ConvertsTtsOutputAtItsOwnRate) {
  std::vector<int16_t> pcm(22050);  // 1 s at 22.05 kHz
  ToneGenerator(440, 0.4, 22050).fill(pcm);
  PromptPtr prompt = promptFromPcm(pcm, 22050);
  EXPECT_NEAR(static_cast<double>(prompt->samples.size()), 16000, 2);
  EXPECT_NEAR(dominantFrequency(prompt->samples, InternalRate), 440, 2.0);
  // The filter delay is removed: the tone starts at the start.
  EXPECT_GT(rmsLevel(std::span(prompt->samples).subspan(40, 160)), 0.2);
}

}  // namespace
}  // namespace kefu::media
