#include "media/sdes.h"

#include <gtest/gtest.h>

namespace kefu::media {
namespace {

// Key parameters as they appear in real offers (RFC 4568 section 4, Asterisk, Chrome's SDES
// days, a Polycom with a lifetime and MKI).
TEST(SdesTest, ParsesKeyParamsWithoutLifetimeOrMki) {
  auto keys = parseSdesKeyParams("AES_CM_128_HMAC_SHA1_80",
                                 "inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj");
  ASSERT_TRUE(keys.ok()) << keys.error().message;
  EXPECT_EQ(keys->suite, SrtpSuite::AesCm128HmacSha1_80);
  EXPECT_EQ(keys->size, 30u);
  EXPECT_EQ(keys->key_and_salt[0], 'w');  // "d0Rm" decodes to "wDf"
  EXPECT_EQ(keys->key_and_salt[1], 'D');
  EXPECT_EQ(keys->key_and_salt[29], '#');
  EXPECT_EQ(keys->mki_length, 0);
}

TEST(SdesTest, ParsesLifetimeAndMki) {
  auto keys = parseSdesKeyParams("AES_CM_128_HMAC_SHA1_32",
                                 "inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj|2^20|1:32");
  ASSERT_FALSE(keys.ok());  // RFC 4568's own example has a 32-byte MKI, more than we support.
  EXPECT_NE(keys.error().message.find("MKI"), std::string::npos);

  keys = parseSdesKeyParams("AES_CM_128_HMAC_SHA1_32",
                            "inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj|2^20|1:4");
  ASSERT_TRUE(keys.ok()) << keys.error().message;
  EXPECT_EQ(keys->suite, SrtpSuite::AesCm128HmacSha1_32);
  EXPECT_EQ(keys->mki, 1u);
  EXPECT_EQ(keys->mki_length, 4);

  keys = parseSdesKeyParams("AES_CM_128_HMAC_SHA1_80",
                            "inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj|1048576");
  ASSERT_TRUE(keys.ok()) << keys.error().message;
  EXPECT_EQ(keys->mki_length, 0);

  keys = parseSdesKeyParams("AES_CM_128_HMAC_SHA1_80",
                            "inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj|7:2");
  ASSERT_TRUE(keys.ok()) << keys.error().message;
  EXPECT_EQ(keys->mki, 7u);
  EXPECT_EQ(keys->mki_length, 2);
}

TEST(SdesTest, ParsesGcmKeysWithAndWithoutPadding) {
  SrtpKeyMaterial generated = randomKeyMaterial(SrtpSuite::AeadAes128Gcm);
  std::string text = sdesKeyParams(generated);
  ASSERT_EQ(text.size(), 7u + 40u);  // 28 bytes: 38 characters and "=="
  EXPECT_EQ(text.substr(text.size() - 2), "==");
  auto padded = parseSdesKeyParams("AEAD_AES_128_GCM", text);
  auto unpadded = parseSdesKeyParams("AEAD_AES_128_GCM", text.substr(0, text.size() - 2));
  ASSERT_TRUE(padded.ok() && unpadded.ok());
  EXPECT_EQ(*padded, generated);
  EXPECT_EQ(*unpadded, generated);
}

TEST(SdesTest, AnUnknownSuiteIsNamed) {
  auto keys = parseSdesKeyParams("AES_256_CM_HMAC_SHA1_80",
                                 "inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj");
  ASSERT_FALSE(keys.ok());
  EXPECT_EQ(keys.error().field, "crypto-suite");
  EXPECT_NE(keys.error().message.find("AES_256_CM_HMAC_SHA1_80"), std::string::npos);
}

TEST(SdesTest, BadBase64IsReported) {
  for (std::string_view bad : {"inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAw*Soj",
                               "inline:d0Rm dmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj",
                               "inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSojd"}) {
    auto keys = parseSdesKeyParams("AES_CM_128_HMAC_SHA1_80", bad);
    ASSERT_FALSE(keys.ok()) << bad;
    EXPECT_NE(keys.error().message.find("base64"), std::string::npos) << keys.error().message;
  }
}

TEST(SdesTest, AKeyOfTheWrongLengthIsReported) {
  // 28 bytes where AES_CM needs 30, and 30 where GCM needs 28.
  SrtpKeyMaterial gcm = randomKeyMaterial(SrtpSuite::AeadAes128Gcm);
  auto keys = parseSdesKeyParams("AES_CM_128_HMAC_SHA1_80", sdesKeyParams(gcm));
  ASSERT_FALSE(keys.ok());
  EXPECT_NE(keys.error().message.find("28 bytes"), std::string::npos) << keys.error().message;
  EXPECT_NE(keys.error().message.find("needs 30"), std::string::npos);

  keys = parseSdesKeyParams("AEAD_AES_128_GCM", "inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj");
  ASSERT_FALSE(keys.ok());
  EXPECT_NE(keys.error().message.find("needs 28"), std::string::npos);
}

TEST(SdesTest, OtherMalformedKeyParamsAreReported) {
  const std::string key = "inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj";
  struct Case {
    std::string params;
    std::string_view expected;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj", "inline"},
           {"uri:http://example.com/key", "inline"},
           {key + "|2^x", "lifetime"},
           {key + "|1:0", "MKI"},
           {key + "|300:1", "does not fit"},
           {key + "|1:4|2^20", "MKI"},
           {key + "|2^20|2^10", "lifetime"},
           {key + "|2^20|1:4|5", "too many"},
           {key + ";" + key, "several"},
       }) {
    auto keys = parseSdesKeyParams("AES_CM_128_HMAC_SHA1_80", c.params);
    ASSERT_FALSE(keys.ok()) << c.params;
    EXPECT_NE(keys.error().message.find(c.expected), std::string::npos)
        << c.params << ": " << keys.error().message;
  }
}

TEST(SdesTest, GeneratedKeysRoundTripAndDiffer) {
  for (SrtpSuite suite :
       {SrtpSuite::AesCm128HmacSha1_80, SrtpSuite::AesCm128HmacSha1_32, SrtpSuite::AeadAes128Gcm}) {
    SrtpKeyMaterial first = randomKeyMaterial(suite);
    SrtpKeyMaterial second = randomKeyMaterial(suite);
    EXPECT_NE(first.key_and_salt, second.key_and_salt);
    auto parsed = parseSdesKeyParams(srtpSuiteName(suite), sdesKeyParams(first));
    ASSERT_TRUE(parsed.ok()) << parsed.error().message;
    EXPECT_EQ(*parsed, first);
    EXPECT_EQ(srtpSuiteByName(srtpSuiteName(suite)), suite);
  }
  SrtpKeyMaterial with_mki = randomKeyMaterial(SrtpSuite::AesCm128HmacSha1_80);
  with_mki.mki = 3;
  with_mki.mki_length = 1;
  std::string text = sdesKeyParams(with_mki);
  EXPECT_EQ(text.substr(text.size() - 4), "|3:1");
  auto parsed = parseSdesKeyParams("AES_CM_128_HMAC_SHA1_80", text);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, with_mki);
}

TEST(SdesTest, SdesKeysProtectMediaBetweenTwoSessions) {
  // What an SDES call does: each side sends its own key, the other uses it inbound.
  SrtpKeyMaterial ours = randomKeyMaterial(SrtpSuite::AesCm128HmacSha1_80);
  auto theirs = parseSdesKeyParams("AES_CM_128_HMAC_SHA1_80",
                                   "inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj");
  auto our_view = parseSdesKeyParams("AES_CM_128_HMAC_SHA1_80", sdesKeyParams(ours));
  ASSERT_TRUE(theirs.ok() && our_view.ok());
  auto us = SrtpSession::create(ours, *theirs);
  auto them = SrtpSession::create(*theirs, *our_view);
  ASSERT_TRUE(us.ok() && them.ok());
  std::vector<uint8_t> packet(12 + 20 + SrtpMaxOverhead, 0);
  packet[0] = 0x80;
  packet[11] = 9;
  std::size_t size = (*them)->protectRtp(packet, 32);
  ASSERT_GT(size, 32u);
  EXPECT_EQ((*us)->unprotectRtp(packet, size), std::optional<std::size_t>(32));
}

}  // namespace
}  // namespace kefu::media
