#include "media/mixer.h"

#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "media/tone.h"

namespace kefu::media {
namespace {

constexpr double Amplitude = 0.2;
constexpr double Heard = Amplitude * Amplitude;  // tonePower of a tone at Amplitude
constexpr double Silent = 1e-4;
constexpr int Ticks = 25;  // 0.5 s

// Each participant sends its own tone for Ticks; @return what each one heard.
std::map<Mixer::ParticipantId, std::vector<int16_t>> run(
    Mixer& mixer, const std::map<Mixer::ParticipantId, double>& tones) {
  std::map<Mixer::ParticipantId, ToneGenerator> generators;
  for (const auto& [id, hz] : tones) {
    generators.emplace(id, ToneGenerator(hz, Amplitude));
  }
  std::map<Mixer::ParticipantId, std::vector<int16_t>> heard;
  for (int tick = 0; tick < Ticks; ++tick) {
    for (auto& [id, generator] : generators) {
      generator.fill(mixer.input(id).view());
    }
    mixer.mix();
    for (const auto& [id, hz] : tones) {
      const AudioFrame& out = mixer.output(id);
      heard[id].insert(heard[id].end(), out.samples.begin(), out.samples.end());
    }
  }
  return heard;
}

bool hears(const std::vector<int16_t>& pcm, double hz) {
  double power = tonePower(pcm, InternalRate, hz);
  EXPECT_TRUE(power < Silent || std::abs(power - Heard) < 0.1 * Heard) << hz << ": " << power;
  return power > Silent;
}

TEST(MixerTest, EachSpeakerHearsExactlyTheOthers) {
  Mixer mixer;
  mixer.add(1, Mixer::Role::Speaker);
  mixer.add(2, Mixer::Role::Speaker);
  mixer.add(3, Mixer::Role::Speaker);
  EXPECT_EQ(mixer.size(), 3u);
  auto heard = run(mixer, {{1, 400}, {2, 700}, {3, 1100}});
  EXPECT_FALSE(hears(heard[1], 400));
  EXPECT_TRUE(hears(heard[1], 700));
  EXPECT_TRUE(hears(heard[1], 1100));
  EXPECT_TRUE(hears(heard[2], 400));
  EXPECT_FALSE(hears(heard[2], 700));
  EXPECT_TRUE(hears(heard[2], 1100));
  EXPECT_TRUE(hears(heard[3], 400));
  EXPECT_TRUE(hears(heard[3], 700));
  EXPECT_FALSE(hears(heard[3], 1100));
}

TEST(MixerTest, SumsSaturateInsteadOfWrapping) {
  Mixer mixer;
  for (Mixer::ParticipantId id : {1u, 2u, 3u}) {
    mixer.add(id, Mixer::Role::Speaker);
  }
  mixer.input(1).samples.fill(30000);
  mixer.input(2).samples.fill(30000);
  mixer.input(3).samples.fill(-30000);
  mixer.mix();
  EXPECT_EQ(mixer.output(3).samples[0], 32767);  // 60000 clipped
  EXPECT_EQ(mixer.output(1).samples[0], 0);      // 30000 - 30000
  mixer.input(1).samples.fill(-30000);
  mixer.input(2).samples.fill(-30000);
  mixer.mix();
  EXPECT_EQ(mixer.output(3).samples[0], -32768);
}

TEST(MixerTest, ParticipantsThatSendNothingContributeSilence) {
  Mixer mixer;
  mixer.add(1, Mixer::Role::Speaker);
  mixer.add(2, Mixer::Role::Speaker);
  mixer.input(1).samples.fill(1000);
  mixer.mix();
  EXPECT_EQ(mixer.output(2).samples[5], 1000);
  mixer.mix();  // nobody wrote this tick
  EXPECT_EQ(mixer.output(2).samples[5], 0);
}

TEST(MixerTest, AMutedPartyIsHeardByNobodyButStillHears) {
  Mixer mixer;
  mixer.add(1, Mixer::Role::Speaker);
  mixer.add(2, Mixer::Role::Speaker);
  mixer.add(3, Mixer::Role::Speaker);
  mixer.setMuted(2, true);
  auto heard = run(mixer, {{1, 400}, {2, 700}, {3, 1100}});
  EXPECT_FALSE(hears(heard[1], 700));
  EXPECT_FALSE(hears(heard[3], 700));
  EXPECT_TRUE(hears(heard[2], 400));
  EXPECT_TRUE(hears(heard[2], 1100));
  mixer.setMuted(2, false);
  heard = run(mixer, {{1, 400}, {2, 700}, {3, 1100}});
  EXPECT_TRUE(hears(heard[1], 700));
}

TEST(MixerTest, AListenerHearsEveryoneAndIsHeardByNobody) {
  Mixer mixer;
  mixer.add(1, Mixer::Role::Speaker);   // caller
  mixer.add(2, Mixer::Role::Speaker);   // agent
  mixer.add(3, Mixer::Role::Listener);  // supervisor, silently monitoring
  auto heard = run(mixer, {{1, 400}, {2, 700}, {3, 1100}});
  EXPECT_TRUE(hears(heard[3], 400));
  EXPECT_TRUE(hears(heard[3], 700));
  EXPECT_FALSE(hears(heard[3], 1100));
  EXPECT_FALSE(hears(heard[1], 1100));
  EXPECT_FALSE(hears(heard[2], 1100));
  EXPECT_TRUE(hears(heard[1], 700));
  EXPECT_TRUE(hears(heard[2], 400));
}

TEST(MixerTest, OnlyTheWhisperTargetHearsTheWhisperer) {
  Mixer mixer;
  mixer.add(1, Mixer::Role::Speaker);       // caller
  mixer.add(2, Mixer::Role::Speaker);       // agent
  mixer.add(3, Mixer::Role::Whisperer, 2);  // supervisor coaching the agent
  auto heard = run(mixer, {{1, 400}, {2, 700}, {3, 1100}});
  EXPECT_TRUE(hears(heard[2], 1100));   // the agent hears the coach
  EXPECT_TRUE(hears(heard[2], 400));    // and the caller
  EXPECT_FALSE(hears(heard[1], 1100));  // the caller does not hear the coach
  EXPECT_TRUE(hears(heard[1], 700));
  EXPECT_TRUE(hears(heard[3], 400));  // the coach hears both
  EXPECT_TRUE(hears(heard[3], 700));
  EXPECT_FALSE(hears(heard[3], 1100));
}

TEST(MixerTest, AWhispererWhoseTargetLeftIsHeardByNobody) {
  Mixer mixer;
  mixer.add(1, Mixer::Role::Speaker);
  mixer.add(2, Mixer::Role::Speaker);
  mixer.add(3, Mixer::Role::Whisperer, 2);
  mixer.remove(2);
  EXPECT_EQ(mixer.size(), 2u);
  EXPECT_FALSE(mixer.contains(2));
  auto heard = run(mixer, {{1, 400}, {3, 1100}});
  EXPECT_FALSE(hears(heard[1], 1100));
  EXPECT_TRUE(hears(heard[3], 400));
}

TEST(MixerTest, ABargingSupervisorIsHeardByEveryone) {
  Mixer mixer;
  mixer.add(1, Mixer::Role::Speaker);
  mixer.add(2, Mixer::Role::Speaker);
  mixer.add(3, Mixer::Role::Listener);
  mixer.setRole(3, Mixer::Role::Whisperer, 2);
  auto heard = run(mixer, {{1, 400}, {2, 700}, {3, 1100}});
  EXPECT_FALSE(hears(heard[1], 1100));
  mixer.setRole(3, Mixer::Role::Speaker);  // barge in
  heard = run(mixer, {{1, 400}, {2, 700}, {3, 1100}});
  EXPECT_TRUE(hears(heard[1], 1100));
  EXPECT_TRUE(hears(heard[2], 1100));
  EXPECT_TRUE(hears(heard[3], 400));
  EXPECT_TRUE(hears(heard[3], 700));
  EXPECT_FALSE(hears(heard[3], 1100));
}

TEST(MixerTest, InputFramesStayPutWhenOthersJoin) {
  Mixer mixer;
  mixer.add(1, Mixer::Role::Speaker);
  AudioFrame* first = &mixer.input(1);
  for (Mixer::ParticipantId id = 2; id < 100; ++id) {
    mixer.add(id, Mixer::Role::Speaker);
  }
  EXPECT_EQ(&mixer.input(1), first);
  first->samples.fill(100);
  mixer.mix();
  EXPECT_EQ(mixer.output(99).samples[0], 100);
  EXPECT_EQ(mixer.output(1).samples[0], 0);
}

}  // namespace
}  // namespace kefu::media
