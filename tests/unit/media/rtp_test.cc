#include "media/rtp.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "media/packet_kind.h"

namespace kefu::media {
namespace {

// A PCMU packet as a phone sends it: V=2, marker set on the first packet of a talkspurt.
std::vector<uint8_t> pcmuPacket() {
  std::vector<uint8_t> packet = {0x80, 0x80, 0x12, 0x34, 0x00, 0x00,
                                 0xa0, 0x00, 0xde, 0xad, 0xbe, 0xef};
  packet.resize(12 + 160, 0xff);  // 20 ms of PCMU silence
  return packet;
}

TEST(RtpTest, ParsesAPcmuPacket) {
  const auto packet = pcmuPacket();
  auto header = parseRtp(packet);
  ASSERT_TRUE(header.has_value());
  EXPECT_TRUE(header->marker);
  EXPECT_EQ(header->payload_type, 0);
  EXPECT_EQ(header->sequence, 0x1234);
  EXPECT_EQ(header->timestamp, 0xa000u);
  EXPECT_EQ(header->ssrc, 0xdeadbeefu);
  EXPECT_EQ(header->header_size, 12u);
  EXPECT_EQ(header->payload_size, 160u);
}

TEST(RtpTest, WrittenHeaderParsesBack) {
  RtpHeader header;
  header.marker = false;
  header.payload_type = 111;
  header.sequence = 65535;
  header.timestamp = 0xfffffff0;
  header.ssrc = 0x01020304;
  std::array<uint8_t, 12 + 40> packet{};
  ASSERT_EQ(writeRtpHeader(header, packet), 12u);
  auto parsed = parseRtp(packet);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_FALSE(parsed->marker);
  EXPECT_EQ(parsed->payload_type, 111);
  EXPECT_EQ(parsed->sequence, 65535);
  EXPECT_EQ(parsed->timestamp, 0xfffffff0u);
  EXPECT_EQ(parsed->ssrc, 0x01020304u);
  EXPECT_EQ(parsed->payload_size, 40u);
}

TEST(RtpTest, WriteRefusesAShortBuffer) {
  std::array<uint8_t, 11> out{};
  EXPECT_EQ(writeRtpHeader(RtpHeader{}, out), 0u);
}

TEST(RtpTest, SkipsCsrcsAndTheHeaderExtension) {
  // Two CSRCs, then a one-byte-header extension (0xbede) of 2 words, then 3 payload bytes.
  std::vector<uint8_t> packet = {
      0x92, 0x08, 0, 1, 0,    0,    0, 160, 0,    0, 0, 7,  // X=1, CC=2, PCMA
      0,    0,    0, 1, 0,    0,    0, 2,                   // CSRCs
      0xbe, 0xde, 0, 2, 0x10, 0xff, 0, 0,   0x22, 1, 2, 3, 0xd5, 0xd5, 0xd5};
  auto header = parseRtp(packet);
  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(header->payload_type, 8);
  EXPECT_EQ(header->header_size, 12u + 8u + 4u + 8u);
  EXPECT_EQ(header->payload_size, 3u);
}

TEST(RtpTest, ExcludesPadding) {
  std::vector<uint8_t> packet = {0xa0, 0x09, 0, 1, 0, 0, 0, 160, 0, 0, 0, 7,  // P=1, G722
                                 1,    2,    3, 4, 5, 0, 0, 3};               // 5 bytes + 3 pad
  auto header = parseRtp(packet);
  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(header->payload_size, 5u);
}

TEST(RtpTest, EachMalformedFormGivesItsError) {
  RtpError error{};
  std::vector<uint8_t> short_packet(11, 0x80);
  EXPECT_FALSE(parseRtp(short_packet, &error));
  EXPECT_EQ(error, RtpError::TooShort);

  auto version1 = pcmuPacket();
  version1[0] = 0x40;
  EXPECT_FALSE(parseRtp(version1, &error));
  EXPECT_EQ(error, RtpError::BadVersion);

  std::vector<uint8_t> csrcs = {0x8f, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 9};  // CC=15
  EXPECT_FALSE(parseRtp(csrcs, &error));
  EXPECT_EQ(error, RtpError::BadCsrcCount);

  std::vector<uint8_t> no_extension_header = {0x90, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xbe};
  EXPECT_FALSE(parseRtp(no_extension_header, &error));
  EXPECT_EQ(error, RtpError::BadExtension);

  std::vector<uint8_t> long_extension = {
      0x90, 0, 0,    1,    0, 0, 0, 0, 0, 0,
      0,    1, 0xbe, 0xde, 0, 3, 1, 2, 3, 4};  // claims 12 bytes, has 4
  EXPECT_FALSE(parseRtp(long_extension, &error));
  EXPECT_EQ(error, RtpError::BadExtension);

  auto zero_padding = pcmuPacket();
  zero_padding[0] |= 0x20;
  zero_padding.back() = 0;
  EXPECT_FALSE(parseRtp(zero_padding, &error));
  EXPECT_EQ(error, RtpError::BadPadding);

  auto huge_padding = pcmuPacket();
  huge_padding[0] |= 0x20;
  huge_padding.back() = 161;  // more than the 160 payload bytes
  EXPECT_FALSE(parseRtp(huge_padding, &error));
  EXPECT_EQ(error, RtpError::BadPadding);

  huge_padding.back() = 160;  // exactly the payload: legal, an empty payload
  auto all_padding = parseRtp(huge_padding, &error);
  ASSERT_TRUE(all_padding.has_value());
  EXPECT_EQ(all_padding->payload_size, 0u);
}

TEST(RtpTest, InPlaceSettersRewriteOnlyTheirField) {
  auto packet = pcmuPacket();
  setRtpSequence(packet, 7);
  setRtpTimestamp(packet, 0x11223344);
  setRtpSsrc(packet, 0xcafef00d);
  setRtpPayloadType(packet, 101);
  auto header = parseRtp(packet);
  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(header->sequence, 7);
  EXPECT_EQ(header->timestamp, 0x11223344u);
  EXPECT_EQ(header->ssrc, 0xcafef00du);
  EXPECT_EQ(header->payload_type, 101);
  EXPECT_TRUE(header->marker) << "setRtpPayloadType keeps the marker bit";
  EXPECT_EQ(header->payload_size, 160u);

  setRtpMarker(packet, false);
  setRtpPayloadType(packet, 0);
  header = parseRtp(packet);
  ASSERT_TRUE(header.has_value());
  EXPECT_FALSE(header->marker);
  EXPECT_EQ(header->payload_type, 0);
}

TEST(PacketKindTest, ClassifiesEveryKind) {
  EXPECT_EQ(classifyPacket(pcmuPacket()), PacketKind::Rtp);

  std::vector<uint8_t> rtcp_rr = {0x80, 201, 0, 1, 0, 0, 0, 1};
  EXPECT_EQ(classifyPacket(rtcp_rr), PacketKind::Rtcp);

  std::vector<uint8_t> stun(20, 0);
  stun[1] = 0x01;
  EXPECT_EQ(classifyPacket(stun), PacketKind::Stun);

  std::vector<uint8_t> dtls_hello(13, 0);
  dtls_hello[0] = 22;  // handshake
  dtls_hello[1] = 0xfe;
  EXPECT_EQ(classifyPacket(dtls_hello), PacketKind::Dtls);

  EXPECT_EQ(classifyPacket({}), PacketKind::Unknown);
  std::vector<uint8_t> zrtp_like(20, 0);
  zrtp_like[0] = 0x10;  // 16-19 is ZRTP, 64-79 TURN channels: not ours
  EXPECT_EQ(classifyPacket(zrtp_like), PacketKind::Unknown);
}

TEST(PacketKindTest, EdgeBytesOfEachRange) {
  auto kind = [](uint8_t first, uint8_t second, std::size_t size) {
    std::vector<uint8_t> packet(size, 0);
    packet[0] = first;
    if (size > 1) {
      packet[1] = second;
    }
    return classifyPacket(packet);
  };
  EXPECT_EQ(kind(3, 0, 20), PacketKind::Stun);
  EXPECT_EQ(kind(4, 0, 20), PacketKind::Unknown);
  EXPECT_EQ(kind(0, 1, 19), PacketKind::Unknown) << "shorter than a STUN header";
  EXPECT_EQ(kind(19, 0, 20), PacketKind::Unknown);
  EXPECT_EQ(kind(20, 0, 13), PacketKind::Dtls);
  EXPECT_EQ(kind(63, 0, 13), PacketKind::Dtls);
  EXPECT_EQ(kind(64, 0, 13), PacketKind::Unknown);
  EXPECT_EQ(kind(127, 0, 13), PacketKind::Unknown);
  EXPECT_EQ(kind(128, 0, 12), PacketKind::Rtp);
  EXPECT_EQ(kind(191, 127, 12), PacketKind::Rtp);
  EXPECT_EQ(kind(192, 0, 12), PacketKind::Unknown);
  EXPECT_EQ(kind(128, 191, 12), PacketKind::Rtp) << "PT 63 with the marker bit";
  EXPECT_EQ(kind(128, 192, 8), PacketKind::Rtcp);
  EXPECT_EQ(kind(128, 223, 8), PacketKind::Rtcp);
  EXPECT_EQ(kind(128, 224, 12), PacketKind::Rtp) << "PT 96 with the marker bit";
  EXPECT_EQ(kind(128, 0, 11), PacketKind::Unknown) << "shorter than an RTP header";
  EXPECT_EQ(kind(128, 200, 7), PacketKind::Unknown) << "shorter than an RTCP header + SSRC";
}

}  // namespace
}  // namespace kefu::media
