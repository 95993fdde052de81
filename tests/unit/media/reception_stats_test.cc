#include "media/reception_stats.h"

#include <gtest/gtest.h>

#include <vector>

namespace kefu::media {
namespace {

constexpr int64_t PacketUs = 20'000;

/** Feeds sequence numbers as a steady 20 ms PCMU stream would carry them. */
void feed(ReceptionStats& stats, const std::vector<int>& sequences) {
  for (int sequence : sequences) {
    const auto seq = static_cast<uint16_t>(sequence);
    stats.onPacket(seq, static_cast<uint32_t>(seq) * 160, seq * PacketUs);
  }
}

TEST(ReceptionStatsTest, CountsLossAcrossTheSequenceWrap) {
  ReceptionStats stats(8000);
  feed(stats, {65530, 65531, 65532, 65534, 65535, 0, 1, 3, 4, 5});  // 65533 and 2 lost
  EXPECT_EQ(stats.received(), 10u);
  EXPECT_EQ(stats.expected(), 12);
  EXPECT_EQ(stats.lost(), 2);
  EXPECT_EQ(stats.extendedHighestSequence(), 65536u + 5u);
  EXPECT_NEAR(stats.lossPercent(), 100.0 * 2 / 12, 1e-9);
}

TEST(ReceptionStatsTest, ReorderedPacketsAreNotLost) {
  ReceptionStats stats(8000);
  feed(stats, {10, 11, 13, 12, 14, 16, 15});
  EXPECT_EQ(stats.expected(), 7);
  EXPECT_EQ(stats.lost(), 0);
  EXPECT_EQ(stats.extendedHighestSequence(), 16u);
}

TEST(ReceptionStatsTest, DuplicatesMakeLossNegativeButNotThePercentage) {
  ReceptionStats stats(8000);
  feed(stats, {1, 2, 2, 3});
  EXPECT_EQ(stats.received(), 4u);
  EXPECT_EQ(stats.expected(), 3);
  EXPECT_EQ(stats.lost(), -1);
  EXPECT_EQ(stats.lossPercent(), 0.0);
  const ReportBlock block = stats.reportBlock(9, 0, 0, 0);
  EXPECT_EQ(block.cumulative_lost, -1);
  EXPECT_EQ(block.fraction_lost, 0);
}

TEST(ReceptionStatsTest, OneStrayJumpIsIgnored) {
  ReceptionStats stats(8000);
  feed(stats, {1, 2, 3, 30000, 4, 5});
  EXPECT_EQ(stats.received(), 5u);
  EXPECT_EQ(stats.lost(), 0);
  EXPECT_EQ(stats.extendedHighestSequence(), 5u);
}

TEST(ReceptionStatsTest, ASequenceRestartStartsAFreshCount) {
  // The sender restarted (a re-INVITE to another media server): two packets in order after a
  // jump are a new sequence, not 40000 lost packets.
  ReceptionStats stats(8000);
  feed(stats, {100, 101, 102, 103, 105});     // 104 lost
  feed(stats, {40000, 40001, 40002, 40004});  // 40003 lost; 40000 only announces the restart
  EXPECT_EQ(stats.received(), 5u + 3u);
  EXPECT_EQ(stats.expected(), 6 + 4);
  EXPECT_EQ(stats.lost(), 2);
  EXPECT_EQ(stats.extendedHighestSequence(), 40004u);
}

TEST(ReceptionStatsTest, JitterFollowsRfc3550OnAHandMadeSeries) {
  // 8 kHz, 160 timestamp units per packet, arrivals at 0, 20, 45, 60 and 80 ms. The transit
  // differences in timestamp units are 0, 200-160 = 40, 120-160 = -40 and 0, so
  // J = 0, 40/16 = 2.5, 2.5 + 37.5/16 = 4.84375, 4.84375 - 4.84375/16 = 4.541015625.
  ReceptionStats stats(8000);
  const int64_t arrivals_ms[] = {0, 20, 45, 60, 80};
  for (int i = 0; i < 5; ++i) {
    stats.onPacket(static_cast<uint16_t>(i), static_cast<uint32_t>(i * 160), arrivals_ms[i] * 1000);
  }
  EXPECT_DOUBLE_EQ(stats.jitterMs(), 4.541015625 / 8.0);
  EXPECT_EQ(stats.reportBlock(1, 0, 0, 0).jitter, 4u);
}

TEST(ReceptionStatsTest, WallClockArrivalsDoNotOverflow) {
  // Arrivals on the Unix clock in 2026 (1.78e15 us) at Opus's 48 kHz: 30 ms late every other
  // packet must show as jitter, not as an overflow.
  ReceptionStats stats(48000);
  const int64_t start_us = 1'780'000'000'000'000;
  for (int i = 0; i < 200; ++i) {
    const int64_t late_us = i % 2 == 1 ? 30'000 : 0;
    stats.onPacket(static_cast<uint16_t>(i), static_cast<uint32_t>(i * 960),
                   start_us + i * PacketUs + late_us);
  }
  // |D| is 1440 units (30 ms) every packet, so J converges to 1440 units = 30 ms.
  EXPECT_NEAR(stats.jitterMs(), 30.0, 0.1);
}

TEST(ReceptionStatsTest, JitterIsZeroForAPerfectStream) {
  ReceptionStats stats(48000);
  for (int i = 0; i < 50; ++i) {
    stats.onPacket(static_cast<uint16_t>(i), 0xfffff000U + static_cast<uint32_t>(i * 960),
                   i * PacketUs);  // the timestamp wraps on the way
  }
  EXPECT_EQ(stats.jitterMs(), 0.0);
}

TEST(ReceptionStatsTest, ReportBlocksCarryTheIntervalFraction) {
  ReceptionStats stats(8000);
  feed(stats, {1, 2, 4, 5, 7, 8, 10});  // 3, 6 and 9 lost of 10 expected
  ReportBlock first = stats.reportBlock(0x5eed, 0x7e818000, 1'500'000, 1'000'000);
  EXPECT_EQ(first.ssrc, 0x5eedu);
  EXPECT_EQ(first.fraction_lost, (3 << 8) / 10);
  EXPECT_EQ(first.cumulative_lost, 3);
  EXPECT_EQ(first.highest_sequence, 10u);
  EXPECT_EQ(first.last_sr, 0x7e818000u);
  EXPECT_EQ(first.delay_since_last_sr, 32768u) << "0.5 s in 1/65536 s";

  feed(stats, {11, 12, 13, 14, 15, 16, 17, 18, 19, 20});
  ReportBlock second = stats.reportBlock(0x5eed, 0, 0, 0);
  EXPECT_EQ(second.fraction_lost, 0) << "nothing lost since the previous report";
  EXPECT_EQ(second.cumulative_lost, 3);
  EXPECT_EQ(second.delay_since_last_sr, 0u) << "no SR received";
  EXPECT_NEAR(stats.lossPercent(), 15.0, 1e-9);
}

TEST(ReceptionStatsTest, NothingReceivedReportsNothing) {
  ReceptionStats stats(8000);
  EXPECT_EQ(stats.expected(), 0);
  EXPECT_EQ(stats.lost(), 0);
  EXPECT_EQ(stats.lossPercent(), 0.0);
  EXPECT_EQ(stats.reportBlock(1, 0, 0, 0).fraction_lost, 0);
}

}  // namespace
}  // namespace kefu::media
