#include "media/audio.h"

#include <gtest/gtest.h>

#include "media/codec_id.h"

namespace kefu::media {
namespace {

TEST(AudioFrameTest, HoldsOnePacketTimeAtTheInternalRate) {
  AudioFrame frame;
  EXPECT_EQ(frame.view().size(), 320u);
  EXPECT_EQ(frame.view()[0], 0);
}

TEST(CodecIdTest, FindsCodecsByTheirSdpNameAndClock) {
  EXPECT_EQ(codecByName("pcmu", 8000), CodecId::Pcmu);
  EXPECT_EQ(codecByName("OPUS", 48000), CodecId::Opus);
  EXPECT_EQ(codecByName("G722", 8000), CodecId::G722);
  EXPECT_FALSE(codecByName("G722", 16000).has_value());
  EXPECT_FALSE(codecByName("GSM", 8000).has_value());
  EXPECT_EQ(codecSpec(CodecId::Pcma).static_payload_type, 8);
}

}  // namespace
}  // namespace kefu::media
