#include "media/stun.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <array>
#include <cstring>
#include <string>
#include <vector>

namespace kefu::media {
namespace {

std::vector<uint8_t> fromHex(std::string_view hex) {
  std::vector<uint8_t> bytes;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes.push_back(static_cast<uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return bytes;
}

// RFC 5769 section 2.1: the sample request (SOFTWARE, PRIORITY, ICE-CONTROLLED, USERNAME
// "evtj:h6vY" padded with spaces, MESSAGE-INTEGRITY, FINGERPRINT).
const std::vector<uint8_t> SampleRequest = fromHex(
    "000100582112a442b7e7a701bc34d686fa87dfae"
    "802200105354554e207465737420636c69656e74"
    "002400046e0001ff"
    "80290008932ff9b151263b36"
    "000600096576746a3a68367659202020"
    "000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a2"
    "80280004e57a3bcf");

// RFC 5769 section 2.2: the sample IPv4 response, XOR-MAPPED-ADDRESS 192.0.2.1:32853.
const std::vector<uint8_t> SampleIpv4Response = fromHex(
    "0101003c2112a442b7e7a701bc34d686fa87dfae"
    "8022000b7465737420766563746f7220"
    "002000080001a147e112a643"
    "000800142b91f599fd9e90c38c7489f92af9ba53f06be7d7"
    "80280004c07d4c96");

constexpr std::string_view SamplePassword = "VOkJxbRl1RmTxUk/WvJxBt";

TEST(StunTest, Rfc5769SampleRequestVerifies) {
  StunError error{};
  auto message = parseStun(SampleRequest, &error);
  ASSERT_TRUE(message.has_value()) << static_cast<int>(error);
  EXPECT_EQ(message->type, StunBindingRequest);
  EXPECT_EQ(message->username, "evtj:h6vY");
  EXPECT_EQ(message->priority, 0x6e0001ffu);
  EXPECT_EQ(message->ice_controlled, 0x932ff9b151263b36ULL);
  EXPECT_FALSE(message->ice_controlling.has_value());
  EXPECT_FALSE(message->use_candidate);
  EXPECT_TRUE(message->has_integrity);
  EXPECT_TRUE(message->has_fingerprint);
  EXPECT_EQ(message->transaction_id[0], 0xb7);
  EXPECT_EQ(message->transaction_id[11], 0xae);
  EXPECT_TRUE(checkStunIntegrity(SampleRequest, SamplePassword));
  EXPECT_FALSE(checkStunIntegrity(SampleRequest, "wrong password"));
}

TEST(StunTest, Rfc5769SampleIpv4ResponseVerifies) {
  auto message = parseStun(SampleIpv4Response);
  ASSERT_TRUE(message.has_value());
  EXPECT_EQ(message->type, StunBindingSuccess);
  EXPECT_TRUE(checkStunIntegrity(SampleIpv4Response, SamplePassword));
}

TEST(StunTest, OurSuccessResponseMatchesTheRfc5769Sample) {
  // The same transaction and mapped address, without SOFTWARE: the XOR-MAPPED-ADDRESS bytes
  // must be the sample's, and the whole response must verify with the key.
  auto request = parseStun(SampleRequest);
  ASSERT_TRUE(request.has_value());
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(32853);
  ASSERT_EQ(inet_pton(AF_INET, "192.0.2.1", &address.sin_addr), 1);
  sockaddr_storage mapped{};
  std::memcpy(&mapped, &address, sizeof(address));

  std::array<uint8_t, 128> out{};
  const std::size_t size = writeBindingSuccess(*request, mapped, SamplePassword, out);
  ASSERT_EQ(size, 20u + 12u + 24u + 8u);
  const std::vector<uint8_t> expected_xor = fromHex("002000080001a147e112a643");
  EXPECT_TRUE(std::equal(expected_xor.begin(), expected_xor.end(), out.begin() + 20));
  const std::span<const uint8_t> response(out.data(), size);
  auto parsed = parseStun(response);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->type, StunBindingSuccess);
  EXPECT_EQ(parsed->transaction_id, request->transaction_id);
  EXPECT_TRUE(parsed->has_fingerprint);
  EXPECT_TRUE(checkStunIntegrity(response, SamplePassword));
  std::array<uint8_t, 63> small{};
  EXPECT_EQ(writeBindingSuccess(*request, mapped, SamplePassword, small), 0u);
}

TEST(StunTest, SuccessResponseForIpv6) {
  auto request = parseStun(SampleRequest);
  ASSERT_TRUE(request.has_value());
  sockaddr_in6 address{};
  address.sin6_family = AF_INET6;
  address.sin6_port = htons(32853);
  ASSERT_EQ(inet_pton(AF_INET6, "2001:db8:1234:5678:11:2233:4455:6677", &address.sin6_addr), 1);
  sockaddr_storage mapped{};
  std::memcpy(&mapped, &address, sizeof(address));
  std::array<uint8_t, 128> out{};
  const std::size_t size = writeBindingSuccess(*request, mapped, SamplePassword, out);
  ASSERT_EQ(size, 20u + 24u + 24u + 8u);
  // RFC 5769 section 2.3's XOR-MAPPED-ADDRESS for this address and transaction.
  const std::vector<uint8_t> expected_xor =
      fromHex("002000140002a1470113a9faa5d3f179bc25f4b5bed2b9d9");
  EXPECT_TRUE(std::equal(expected_xor.begin(), expected_xor.end(), out.begin() + 20));
  EXPECT_TRUE(checkStunIntegrity(std::span(out).first(size), SamplePassword));
}

TEST(StunTest, WrittenRequestParsesBackWithIntegrityAndFingerprint) {
  const std::array<uint8_t, 12> transaction{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  std::array<uint8_t, 256> out{};
  const std::size_t size =
      writeBindingRequest(transaction, "kefuUfrag:browserUfrag", "kefu-ice-password-24chars",
                          0x6e7f00ff, true, 0x0123456789abcdefULL, out);
  ASSERT_GT(size, 20u);
  const std::span<const uint8_t> request(out.data(), size);
  StunError error{};
  auto message = parseStun(request, &error);
  ASSERT_TRUE(message.has_value()) << static_cast<int>(error);
  EXPECT_EQ(message->type, StunBindingRequest);
  EXPECT_EQ(message->username, "kefuUfrag:browserUfrag");
  EXPECT_EQ(message->priority, 0x6e7f00ffu);
  EXPECT_TRUE(message->use_candidate);
  EXPECT_EQ(message->ice_controlling, 0x0123456789abcdefULL);
  EXPECT_TRUE(message->has_integrity);
  EXPECT_TRUE(message->has_fingerprint);
  EXPECT_EQ(message->transaction_id, transaction);
  EXPECT_TRUE(checkStunIntegrity(request, "kefu-ice-password-24chars"));
  EXPECT_FALSE(checkStunIntegrity(request, "kefu-ice-password-24charz"));
}

TEST(StunTest, ErrorResponseCarriesItsCode) {
  auto request = parseStun(SampleRequest);
  ASSERT_TRUE(request.has_value());
  std::array<uint8_t, 128> out{};
  const std::size_t size = writeBindingError(*request, 487, "Role Conflict", SamplePassword, out);
  ASSERT_GT(size, 0u);
  auto parsed = parseStun(std::span(out).first(size));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->type, StunBindingError);
  EXPECT_EQ(parsed->error_code, 487);
  EXPECT_TRUE(checkStunIntegrity(std::span(out).first(size), SamplePassword));

  // A 401 goes out without integrity: we could not verify the peer's key.
  const std::size_t unauthenticated = writeBindingError(*request, 401, "Unauthorized", "", out);
  auto parsed401 = parseStun(std::span(out).first(unauthenticated));
  ASSERT_TRUE(parsed401.has_value());
  EXPECT_EQ(parsed401->error_code, 401);
  EXPECT_FALSE(parsed401->has_integrity);
}

TEST(StunTest, ATamperedByteFailsIntegrityOrFingerprint) {
  // Every byte MESSAGE-INTEGRITY covers, and the integrity value itself (the last 8 bytes are
  // FINGERPRINT, which MESSAGE-INTEGRITY does not cover).
  for (std::size_t i = 0; i < SampleRequest.size() - 8; ++i) {
    std::vector<uint8_t> tampered = SampleRequest;
    tampered[i] ^= 0x01;
    StunError error{};
    auto message = parseStun(tampered, &error);
    const bool accepted = message.has_value() && checkStunIntegrity(tampered, SamplePassword);
    EXPECT_FALSE(accepted) << "byte " << i;
  }
  for (std::size_t i = SampleRequest.size() - 4; i < SampleRequest.size(); ++i) {
    std::vector<uint8_t> tampered = SampleRequest;
    tampered[i] ^= 0x80;
    StunError error{};
    EXPECT_FALSE(parseStun(tampered, &error)) << "fingerprint byte " << i;
    EXPECT_EQ(error, StunError::BadFingerprint);
  }
  // A flipped bit in the USERNAME value is caught by the fingerprint first.
  std::vector<uint8_t> tampered = SampleRequest;
  tampered[20 + 20 + 8 + 12 + 4] ^= 0x20;
  StunError error{};
  EXPECT_FALSE(parseStun(tampered, &error));
  EXPECT_EQ(error, StunError::BadFingerprint);
  // Without its FINGERPRINT the same change is caught by MESSAGE-INTEGRITY.
  std::vector<uint8_t> no_fingerprint(tampered.begin(), tampered.end() - 8);
  no_fingerprint[3] = static_cast<uint8_t>(no_fingerprint.size() - 20);
  ASSERT_TRUE(parseStun(no_fingerprint));
  EXPECT_FALSE(checkStunIntegrity(no_fingerprint, SamplePassword));
}

TEST(StunTest, RejectsTruncatedAndGarbageMessages) {
  StunError error{};
  EXPECT_FALSE(parseStun(std::span(SampleRequest).first(19), &error));
  EXPECT_EQ(error, StunError::TooShort);

  for (std::size_t cut = 20; cut < SampleRequest.size(); ++cut) {
    EXPECT_FALSE(parseStun(std::span(SampleRequest).first(cut), &error)) << "cut " << cut;
    EXPECT_EQ(error, StunError::BadLength);
  }

  std::vector<uint8_t> no_cookie = SampleRequest;
  no_cookie[4] = 0;
  EXPECT_FALSE(parseStun(no_cookie, &error));
  EXPECT_EQ(error, StunError::NotStun);

  std::vector<uint8_t> rtp_like = SampleRequest;
  rtp_like[0] = 0x80;
  EXPECT_FALSE(parseStun(rtp_like, &error));
  EXPECT_EQ(error, StunError::NotStun);

  // An attribute claiming more bytes than the message holds.
  std::vector<uint8_t> overrun = fromHex(
      "000100082112a442000000000000000000000000"
      "00060010616263640000");
  overrun.resize(28);
  EXPECT_FALSE(parseStun(overrun, &error));
  EXPECT_EQ(error, StunError::BadAttribute);

  // PRIORITY must be 4 bytes.
  std::vector<uint8_t> short_priority = fromHex(
      "000100082112a442000000000000000000000000"
      "0024000201020000");
  EXPECT_FALSE(parseStun(short_priority, &error));
  EXPECT_EQ(error, StunError::BadAttribute);

  // Nothing may follow FINGERPRINT.
  std::vector<uint8_t> after_fingerprint = SampleRequest;
  after_fingerprint.insert(after_fingerprint.end(), {0x00, 0x25, 0x00, 0x00});
  after_fingerprint[3] = static_cast<uint8_t>(after_fingerprint.size() - 20);
  EXPECT_FALSE(parseStun(after_fingerprint, &error));
  EXPECT_EQ(error, StunError::BadAttribute);

  EXPECT_FALSE(checkStunIntegrity(std::span(SampleRequest).first(40), SamplePassword));
}

}  // namespace
}  // namespace kefu::media
