#include "privacy/field_cipher.h"

#include <gtest/gtest.h>

namespace kefu::privacy {
namespace {

TEST(FieldCipherTest, SealedValueOpensWithItsContextAndHidesThePlainText) {
  FieldCipher cipher(KeyRing::generate());
  auto sealed = cipher.seal("13812345678", "customers.phones:cu_1");
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed->find("13812345678"), std::string::npos);
  EXPECT_TRUE(FieldCipher::isSealed(*sealed));
  EXPECT_EQ(FieldCipher::keyIdOf(*sealed), 1u);
  auto opened = cipher.open(*sealed, "customers.phones:cu_1");
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(*opened, "13812345678");
}

TEST(FieldCipherTest, SameValueSealsDifferentlyEachTime) {
  FieldCipher cipher(KeyRing::generate());
  EXPECT_NE(*cipher.seal("x", "c"), *cipher.seal("x", "c"));
}

TEST(FieldCipherTest, ValueMovedToAnotherRowDoesNotOpen) {
  FieldCipher cipher(KeyRing::generate());
  auto sealed = cipher.seal("张三", "customers.name:cu_1");
  EXPECT_FALSE(cipher.open(*sealed, "customers.name:cu_2").ok());
}

TEST(FieldCipherTest, TamperedValueDoesNotOpen) {
  FieldCipher cipher(KeyRing::generate());
  std::string sealed = *cipher.seal("secret value", "c");
  sealed[sealed.size() - 3] = sealed[sealed.size() - 3] == 'A' ? 'B' : 'A';
  auto opened = cipher.open(sealed, "c");
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, ErrorCode::InvalidArgument);
}

TEST(FieldCipherTest, GarbageIsRejectedNotCrashedOn) {
  FieldCipher cipher(KeyRing::generate());
  for (std::string garbage :
       std::vector<std::string>{"", "enc1:", "enc1:1:", "enc1:1:!!!!", "enc1:x:AAAA", "13812345678",
                                "enc1:1:" + std::string(60, 'A'), "enc1:99999999999:AAAA"}) {
    EXPECT_FALSE(cipher.open(garbage, "c").ok()) << garbage;
  }
  EXPECT_FALSE(FieldCipher::isSealed("13812345678"));
}

TEST(FieldCipherTest, RotatedRingOpensOldValuesAndSealsWithTheNewKey) {
  KeyRing ring = KeyRing::generate();
  FieldCipher old_cipher(ring);
  std::string old_value = *old_cipher.seal("v", "c");
  FieldCipher new_cipher(ring.withNewDataKey());
  EXPECT_EQ(*new_cipher.open(old_value, "c"), "v");
  EXPECT_EQ(FieldCipher::keyIdOf(*new_cipher.seal("v", "c")), 2u);
  // A ring that lost the old key cannot open the old value, and says which key is missing.
  auto reparsed = KeyRing::parse(new_cipher.ring().format());
  ASSERT_TRUE(reparsed.ok());
  EXPECT_EQ(reparsed->currentDataKeyId(), 2u);
  EXPECT_EQ(*FieldCipher(*reparsed).open(old_value, "c"), "v");
  FieldCipher other(KeyRing::generate());
  auto opened = other.open(*new_cipher.seal("v", "c"), "c");
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, ErrorCode::NotFound);
}

TEST(KeyRingTest, ParseRejectsBadLinesNamingThem) {
  auto bad = KeyRing::parse("token 00\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("line 1"), std::string::npos);
  auto duplicate =
      KeyRing::parse("data 1 " + std::string(64, 'a') + "\ndata 1 " + std::string(64, 'b') + "\n");
  ASSERT_FALSE(duplicate.ok());
  EXPECT_NE(duplicate.error().message.find("line 2"), std::string::npos);
  EXPECT_FALSE(KeyRing::parse("# nothing\n").ok());
}

TEST(KeyRingTest, TokenOnlyRingHasNoDataKey) {
  KeyRing ring = KeyRing::generate().tokenOnly();
  EXPECT_TRUE(ring.hasTokenKey());
  EXPECT_EQ(ring.currentDataKeyId(), 0u);
  EXPECT_FALSE(FieldCipher(ring).seal("x", "c").ok());
}

}  // namespace
}  // namespace kefu::privacy
