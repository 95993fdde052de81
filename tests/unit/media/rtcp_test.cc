#include "media/rtcp.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

namespace kefu::media {
namespace {

ReportBlock sampleBlock(uint32_t ssrc) {
  ReportBlock block;
  block.ssrc = ssrc;
  block.fraction_lost = 25;  // about 10%
  block.cumulative_lost = 1234;
  block.highest_sequence = 0x0001fffe;
  block.jitter = 80;
  block.last_sr = 0x7e818000;
  block.delay_since_last_sr = 0x00008000;
  return block;
}

TEST(RtcpTest, SenderReportWithSdesAndByeParsesBack) {
  SenderInfo sender{.ntp_timestamp = 0x83aa7e8180000000ULL,
                    .rtp_timestamp = 160000,
                    .packet_count = 1000,
                    .octet_count = 160000};
  std::array<ReportBlock, 2> blocks{sampleBlock(0x11111111), sampleBlock(0x22222222)};
  blocks[1].cumulative_lost = -3;  // more duplicates than losses: negative on the wire
  std::array<uint8_t, 256> out{};
  const std::size_t size = writeRtcpReport(0xabcdef01, sender, blocks, "kefu@media1", true, out);
  // SR 28 + 2 * 24, SDES 4 + (4 + 2 + 11 + 1 -> 20), BYE 8.
  ASSERT_EQ(size, 76u + 24u + 8u);
  EXPECT_EQ(out[1], 200);
  EXPECT_EQ(out[76 + 1], 202);
  EXPECT_EQ(out[100 + 1], 203);

  RtcpError error{};
  auto report = parseRtcp(std::span(out).first(size), &error);
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->ssrc, 0xabcdef01u);
  ASSERT_TRUE(report->sender.has_value());
  EXPECT_EQ(report->sender->ntp_timestamp, sender.ntp_timestamp);
  EXPECT_EQ(report->sender->rtp_timestamp, 160000u);
  EXPECT_EQ(report->sender->packet_count, 1000u);
  EXPECT_EQ(report->sender->octet_count, 160000u);
  ASSERT_EQ(report->block_count, 2u);
  EXPECT_EQ(report->blocks[0].ssrc, 0x11111111u);
  EXPECT_EQ(report->blocks[0].fraction_lost, 25);
  EXPECT_EQ(report->blocks[0].cumulative_lost, 1234);
  EXPECT_EQ(report->blocks[0].highest_sequence, 0x0001fffeu);
  EXPECT_EQ(report->blocks[0].jitter, 80u);
  EXPECT_EQ(report->blocks[0].last_sr, 0x7e818000u);
  EXPECT_EQ(report->blocks[0].delay_since_last_sr, 0x8000u);
  EXPECT_EQ(report->blocks[1].cumulative_lost, -3);
  EXPECT_TRUE(report->bye);
}

TEST(RtcpTest, ReceiverReportParsesBackAndKeepsAtMostFourBlocks) {
  std::vector<ReportBlock> blocks;
  for (uint32_t i = 0; i < 6; ++i) {
    blocks.push_back(sampleBlock(100 + i));
  }
  std::array<uint8_t, 256> out{};
  const std::size_t size = writeRtcpReport(42, std::nullopt, blocks, "x", false, out);
  // RR 8 + 4 * 24, SDES 4 + (4 + 2 + 1 + 1 = 8).
  ASSERT_EQ(size, 104u + 12u);
  EXPECT_EQ(out[0], 0x84);
  EXPECT_EQ(out[1], 201);
  auto report = parseRtcp(std::span(out).first(size));
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->ssrc, 42u);
  EXPECT_FALSE(report->sender.has_value());
  EXPECT_EQ(report->block_count, 4u);
  EXPECT_EQ(report->blocks[3].ssrc, 103u);
  EXPECT_FALSE(report->bye);
}

TEST(RtcpTest, WriteRefusesABufferTooSmall) {
  // RR 8 + SDES 16 = 24 bytes.
  std::array<uint8_t, 24> out{};
  EXPECT_EQ(writeRtcpReport(1, std::nullopt, {}, "cname", false, std::span(out).first(23)), 0u);
  EXPECT_EQ(writeRtcpReport(1, std::nullopt, {}, "cname", false, out), 24u);
}

TEST(RtcpTest, SkipsUnknownPacketTypesInACompound) {
  // RR with no blocks, then a PSFB PLI (206) and an APP (204): skipped, not rejected.
  std::vector<uint8_t> compound = {0x80, 201, 0, 1, 0, 0, 0, 9,                    // RR
                                   0x81, 206, 0, 2, 0, 0, 0, 9, 0,   0,   0,   5,  // PLI
                                   0x80, 204, 0, 2, 0, 0, 0, 9, 'k', 'e', 'f', 'u'};
  auto report = parseRtcp(compound);
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->ssrc, 9u);
}

TEST(RtcpTest, AByeAloneNamesItsSender) {
  std::vector<uint8_t> bye = {0x81, 203, 0, 1, 0, 0, 0, 77};
  auto report = parseRtcp(bye);
  ASSERT_TRUE(report.has_value());
  EXPECT_TRUE(report->bye);
  EXPECT_EQ(report->ssrc, 77u);
}

TEST(RtcpTest, RejectsTruncatedAndGarbageCompounds) {
  std::array<uint8_t, 256> out{};
  std::array<ReportBlock, 1> blocks{sampleBlock(1)};
  const std::size_t size = writeRtcpReport(5, SenderInfo{}, blocks, "cname", true, out);
  ASSERT_GT(size, 0u);
  RtcpError error{};
  // Every truncation of a valid compound is refused: the last packet's length overruns.
  for (std::size_t cut = 0; cut < size; ++cut) {
    if (cut == 52 || cut == 68) {
      continue;  // ends exactly at a packet boundary: a shorter but valid compound
    }
    EXPECT_FALSE(parseRtcp(std::span(out).first(cut), &error)) << "cut at " << cut;
  }
  EXPECT_TRUE(parseRtcp(std::span(out).first(52)));

  std::vector<uint8_t> version1 = {0x40, 201, 0, 1, 0, 0, 0, 1};
  EXPECT_FALSE(parseRtcp(version1, &error));
  EXPECT_EQ(error, RtcpError::BadVersion);

  std::vector<uint8_t> too_short = {0x80, 201, 0, 1};
  EXPECT_FALSE(parseRtcp(too_short, &error));
  EXPECT_EQ(error, RtcpError::TooShort);

  std::vector<uint8_t> long_length = {0x80, 201, 0, 9, 0, 0, 0, 1};
  EXPECT_FALSE(parseRtcp(long_length, &error));
  EXPECT_EQ(error, RtcpError::BadLength);

  std::vector<uint8_t> blocks_overrun = {0x81, 201, 0, 1, 0, 0, 0, 1};  // RC=1, no block
  EXPECT_FALSE(parseRtcp(blocks_overrun, &error));
  EXPECT_EQ(error, RtcpError::BadLength);

  std::vector<uint8_t> sdes_only = {0x81, 202, 0, 2, 0, 0, 0, 1, 1, 1, 'a', 0};
  EXPECT_FALSE(parseRtcp(sdes_only, &error));
  EXPECT_EQ(error, RtcpError::NotReport);

  std::vector<uint8_t> bad_padding = {0xa0, 201, 0, 1, 0, 0, 0, 0};  // padding count 0
  EXPECT_FALSE(parseRtcp(bad_padding, &error));
  EXPECT_EQ(error, RtcpError::BadLength);
}

TEST(RtcpTest, NtpTimestampsOfUnixTimes) {
  // 1970-01-01 is 2208988800 s after the NTP epoch (0x83aa7e80).
  EXPECT_EQ(ntpFromUnixMicros(0), 0x83aa7e80ULL << 32);
  EXPECT_EQ(ntpFromUnixMicros(1'500'000), (0x83aa7e81ULL << 32) | 0x80000000ULL);
  EXPECT_EQ(ntpMiddle32(ntpFromUnixMicros(1'500'000)), 0x7e818000u);
  EXPECT_EQ(ntpMiddle32FromUnixMicros(250'000), 0x7e804000u);
}

TEST(RtcpTest, RoundTripFromLsrAndDlsr) {
  // RFC 3550 section 6.4.1's example: A = 46864.500 s, LSR = 46853.125 s, DLSR = 5.250 s,
  // so the round trip is 46864.500 - 46853.125 - 5.250 = 6.125 s.
  ReportBlock block;
  block.last_sr = 0xb7052000;
  block.delay_since_last_sr = 0x00054000;
  auto rtt = roundTripMs(block, 0xb7108000);
  ASSERT_TRUE(rtt.has_value());
  EXPECT_DOUBLE_EQ(*rtt, 6125.0);

  // Across the 16.16 clock's wrap: LSR 65535.5 s, DLSR 0.25 s, now 0.0 s (+65536) -> 250 ms.
  block.last_sr = 0xffff8000;
  block.delay_since_last_sr = 0x00004000;
  rtt = roundTripMs(block, 0x00000000);
  ASSERT_TRUE(rtt.has_value());
  EXPECT_DOUBLE_EQ(*rtt, 250.0);

  block.last_sr = 0;
  EXPECT_FALSE(roundTripMs(block, 0x12345678).has_value()) << "no SR received yet";
}

}  // namespace
}  // namespace kefu::media
