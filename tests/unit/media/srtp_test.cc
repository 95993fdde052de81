#include "media/srtp.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "media/sdes.h"

namespace kefu::media {
namespace {

constexpr SrtpSuite EverySuite[] = {SrtpSuite::AesCm128HmacSha1_80, SrtpSuite::AesCm128HmacSha1_32,
                                    SrtpSuite::AeadAes128Gcm};

// A 12-byte RTP header (PT 0, the given sequence number and SSRC) and a 160-byte payload.
std::vector<uint8_t> rtpPacket(uint16_t sequence, uint32_t ssrc = 0x11223344) {
  std::vector<uint8_t> packet = {0x80,
                                 0x00,
                                 static_cast<uint8_t>(sequence >> 8),
                                 static_cast<uint8_t>(sequence),
                                 0,
                                 0,
                                 0x01,
                                 static_cast<uint8_t>(sequence),
                                 static_cast<uint8_t>(ssrc >> 24),
                                 static_cast<uint8_t>(ssrc >> 16),
                                 static_cast<uint8_t>(ssrc >> 8),
                                 static_cast<uint8_t>(ssrc)};
  for (int i = 0; i < 160; ++i) {
    packet.push_back(static_cast<uint8_t>(i * 7 + sequence));
  }
  return packet;
}

// An RTCP receiver report with one report block (32 bytes).
std::vector<uint8_t> rtcpPacket(uint32_t ssrc = 0x55667788) {
  std::vector<uint8_t> packet = {0x81,
                                 201,
                                 0,
                                 7,
                                 static_cast<uint8_t>(ssrc >> 24),
                                 static_cast<uint8_t>(ssrc >> 16),
                                 static_cast<uint8_t>(ssrc >> 8),
                                 static_cast<uint8_t>(ssrc)};
  for (int i = 0; i < 24; ++i) {
    packet.push_back(static_cast<uint8_t>(i));
  }
  return packet;
}

// A working buffer: the packet followed by room for the SRTP trailer.
struct Wire {
  std::vector<uint8_t> bytes;
  std::size_t size;
  explicit Wire(const std::vector<uint8_t>& packet)
      : bytes(packet.size() + SrtpMaxOverhead), size(packet.size()) {
    std::copy(packet.begin(), packet.end(), bytes.begin());
  }
  std::vector<uint8_t> content() const {
    return {bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(size)};
  }
};

struct Pair {
  SrtpSessionPtr a;
  SrtpSessionPtr b;
};

// Two legs that share keys the way SDES or DTLS give them: A's outbound is B's inbound.
Pair makePair(SrtpSuite suite) {
  SrtpKeyMaterial a_to_b = randomKeyMaterial(suite);
  SrtpKeyMaterial b_to_a = randomKeyMaterial(suite);
  auto a = SrtpSession::create(a_to_b, b_to_a);
  auto b = SrtpSession::create(b_to_a, a_to_b);
  EXPECT_TRUE(a.ok() && b.ok());
  return {std::move(a).value(), std::move(b).value()};
}

class SrtpSuiteTest : public ::testing::TestWithParam<SrtpSuite> {};

TEST_P(SrtpSuiteTest, RtpRoundTripsBetweenPeersAndIsEncrypted) {
  Pair pair = makePair(GetParam());
  for (uint16_t sequence = 1000; sequence < 1010; ++sequence) {
    std::vector<uint8_t> plain = rtpPacket(sequence);
    Wire wire(plain);
    std::size_t protected_size = pair.a->protectRtp(wire.bytes, wire.size);
    std::size_t tag = GetParam() == SrtpSuite::AesCm128HmacSha1_80   ? 10
                      : GetParam() == SrtpSuite::AesCm128HmacSha1_32 ? 4
                                                                     : 16;
    ASSERT_EQ(protected_size, plain.size() + tag);
    wire.size = protected_size;
    // The header stays readable (the engine demultiplexes on it), the payload does not.
    EXPECT_TRUE(std::equal(plain.begin(), plain.begin() + 12, wire.bytes.begin()));
    EXPECT_FALSE(std::equal(plain.begin() + 12, plain.end(), wire.bytes.begin() + 12));

    auto plain_size = pair.b->unprotectRtp(wire.bytes, wire.size);
    ASSERT_TRUE(plain_size.has_value());
    wire.size = *plain_size;
    EXPECT_EQ(wire.content(), plain);
  }
  EXPECT_EQ(pair.b->authFailures(), 0u);
}

TEST_P(SrtpSuiteTest, RtcpRoundTripsInBothDirections) {
  Pair pair = makePair(GetParam());
  for (int i = 0; i < 3; ++i) {
    std::vector<uint8_t> plain = rtcpPacket(0x55667788 + i);
    Wire from_a(plain);
    from_a.size = pair.a->protectRtcp(from_a.bytes, from_a.size);
    ASSERT_GT(from_a.size, plain.size() + 4);  // the SRTCP index and a tag
    auto size = pair.b->unprotectRtcp(from_a.bytes, from_a.size);
    ASSERT_TRUE(size.has_value());
    from_a.size = *size;
    EXPECT_EQ(from_a.content(), plain);

    Wire from_b(plain);
    from_b.size = pair.b->protectRtcp(from_b.bytes, from_b.size);
    ASSERT_GT(from_b.size, 0u);
    ASSERT_TRUE(pair.a->unprotectRtcp(from_b.bytes, from_b.size).has_value());
  }
}

TEST_P(SrtpSuiteTest, AFlippedByteFailsAuthentication) {
  Pair pair = makePair(GetParam());
  std::vector<uint8_t> plain = rtpPacket(7);
  Wire wire(plain);
  wire.size = pair.a->protectRtp(wire.bytes, wire.size);
  for (std::size_t position : {std::size_t{2}, std::size_t{40}, wire.size - 1}) {
    Wire tampered = wire;
    tampered.bytes[position] ^= 0x01;
    EXPECT_FALSE(pair.b->unprotectRtp(tampered.bytes, tampered.size).has_value()) << position;
  }
  EXPECT_EQ(pair.b->authFailures(), 3u);
  // The untouched packet still passes: the failures did not poison the stream.
  EXPECT_TRUE(pair.b->unprotectRtp(wire.bytes, wire.size).has_value());

  Wire rtcp(rtcpPacket());
  rtcp.size = pair.a->protectRtcp(rtcp.bytes, rtcp.size);
  rtcp.bytes[10] ^= 0x80;
  EXPECT_FALSE(pair.b->unprotectRtcp(rtcp.bytes, rtcp.size).has_value());
}

TEST_P(SrtpSuiteTest, AReplayedPacketIsRejected) {
  Pair pair = makePair(GetParam());
  Wire first(rtpPacket(500));
  first.size = pair.a->protectRtp(first.bytes, first.size);
  Wire copy = first;
  ASSERT_TRUE(pair.b->unprotectRtp(first.bytes, first.size).has_value());
  EXPECT_FALSE(pair.b->unprotectRtp(copy.bytes, copy.size).has_value());
  EXPECT_EQ(pair.b->replayedPackets(), 1u);

  Wire rtcp(rtcpPacket());
  rtcp.size = pair.a->protectRtcp(rtcp.bytes, rtcp.size);
  Wire rtcp_copy = rtcp;
  ASSERT_TRUE(pair.b->unprotectRtcp(rtcp.bytes, rtcp.size).has_value());
  EXPECT_FALSE(pair.b->unprotectRtcp(rtcp_copy.bytes, rtcp_copy.size).has_value());
  EXPECT_EQ(pair.b->replayedPackets(), 2u);
}

TEST_P(SrtpSuiteTest, AWrongKeyFails) {
  SrtpKeyMaterial sent_with = randomKeyMaterial(GetParam());
  SrtpKeyMaterial expected = randomKeyMaterial(GetParam());
  auto sender = SrtpSession::create(sent_with, sent_with);
  auto receiver = SrtpSession::create(expected, expected);
  ASSERT_TRUE(sender.ok() && receiver.ok());
  Wire wire(rtpPacket(1));
  wire.size = (*sender)->protectRtp(wire.bytes, wire.size);
  EXPECT_FALSE((*receiver)->unprotectRtp(wire.bytes, wire.size).has_value());
  EXPECT_EQ((*receiver)->authFailures(), 1u);
}

TEST_P(SrtpSuiteTest, ANewSsrcIsAcceptedWithoutConfiguration) {
  Pair pair = makePair(GetParam());
  for (uint32_t ssrc : {1u, 0xdeadbeefu, 42u}) {
    Wire wire(rtpPacket(3, ssrc));
    wire.size = pair.a->protectRtp(wire.bytes, wire.size);
    EXPECT_TRUE(pair.b->unprotectRtp(wire.bytes, wire.size).has_value()) << ssrc;
  }
}

INSTANTIATE_TEST_SUITE_P(AllSuites, SrtpSuiteTest, ::testing::ValuesIn(EverySuite),
                         [](const auto& info) { return std::string(srtpSuiteName(info.param)); });

TEST(SrtpSessionTest, AMkiFromSdesIsCarriedAndChecked) {
  SrtpKeyMaterial keys = randomKeyMaterial(SrtpSuite::AesCm128HmacSha1_80);
  keys.mki = 1;
  keys.mki_length = 4;
  auto a = SrtpSession::create(keys, keys);
  ASSERT_TRUE(a.ok());
  std::vector<uint8_t> plain = rtpPacket(9);
  Wire wire(plain);
  wire.size = (*a)->protectRtp(wire.bytes, wire.size);
  ASSERT_EQ(wire.size, plain.size() + 4 + 10);  // MKI, then the tag
  EXPECT_EQ(wire.bytes[plain.size() + 3], 1);

  SrtpKeyMaterial other_mki = keys;
  other_mki.mki = 2;
  auto b = SrtpSession::create(other_mki, other_mki);
  ASSERT_TRUE(b.ok());
  Wire copy = wire;
  EXPECT_FALSE((*b)->unprotectRtp(copy.bytes, copy.size).has_value());

  auto c = SrtpSession::create(keys, keys);
  ASSERT_TRUE(c.ok());
  auto size = (*c)->unprotectRtp(wire.bytes, wire.size);
  ASSERT_TRUE(size.has_value());
  wire.size = *size;
  EXPECT_EQ(wire.content(), plain);
}

TEST(SrtpSessionTest, RejectsKeysOfTheWrongLength) {
  SrtpKeyMaterial keys = randomKeyMaterial(SrtpSuite::AesCm128HmacSha1_80);
  keys.size = 28;
  auto session = SrtpSession::create(keys, randomKeyMaterial(SrtpSuite::AesCm128HmacSha1_80));
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.error().field, "outbound");
  EXPECT_NE(session.error().message.find("expected 30"), std::string::npos);
}

TEST(SrtpSessionTest, RefusesToProtectWithoutRoomForTheTrailer) {
  Pair pair = makePair(SrtpSuite::AesCm128HmacSha1_80);
  std::vector<uint8_t> tight = rtpPacket(1);
  EXPECT_EQ(pair.a->protectRtp(tight, tight.size()), 0u);
  std::vector<uint8_t> too_short(5 + SrtpMaxOverhead);
  EXPECT_EQ(pair.a->protectRtp(too_short, 5), 0u);
}

TEST(SrtpSessionTest, GarbageAndTruncatedPacketsAreCountedNotCrashing) {
  Pair pair = makePair(SrtpSuite::AeadAes128Gcm);
  std::vector<uint8_t> garbage(3, 0x80);
  EXPECT_FALSE(pair.b->unprotectRtp(garbage, garbage.size()).has_value());
  EXPECT_FALSE(pair.b->unprotectRtcp(garbage, garbage.size()).has_value());
  Wire wire(rtpPacket(1));
  wire.size = pair.a->protectRtp(wire.bytes, wire.size);
  EXPECT_FALSE(pair.b->unprotectRtp(wire.bytes, 14).has_value());
  EXPECT_FALSE(pair.b->unprotectRtp(wire.bytes, wire.bytes.size() + 1).has_value());
  EXPECT_EQ(pair.b->authFailures(), 4u);
}

}  // namespace
}  // namespace kefu::media
