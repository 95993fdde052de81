#include "privacy/tokenizer.h"

#include <gtest/gtest.h>

#include "privacy/masking.h"

namespace kefu::privacy {
namespace {

TEST(TokenizerTest, SameNumberWrittenDifferentlyGivesTheSameToken) {
  Tokenizer tokenizer(KeyRing::generate().tokenKey());
  auto a = tokenizer.phoneToken("13812345678");
  auto b = tokenizer.phoneToken("138-1234 5678");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(a->find("13812345678"), std::string::npos);
  EXPECT_NE(*a, *tokenizer.phoneToken("13812345679"));
}

TEST(TokenizerTest, KindsAndKeysSeparateTokens) {
  KeyRing ring = KeyRing::generate();
  Tokenizer tokenizer(ring.tokenKey());
  EXPECT_NE(*tokenizer.phoneToken("12345678"), *tokenizer.idNumberToken("12345678"));
  Tokenizer other(KeyRing::generate().tokenKey());
  EXPECT_NE(*tokenizer.phoneToken("12345678"), *other.phoneToken("12345678"));
  EXPECT_EQ(*tokenizer.idNumberToken("11010119900307123x"),
            *tokenizer.idNumberToken("11010119900307123X"));
}

TEST(TokenizerTest, RejectsWhatIsNotAnIdentifier) {
  Tokenizer tokenizer(KeyRing::generate().tokenKey());
  EXPECT_FALSE(tokenizer.phoneToken(""));
  EXPECT_FALSE(tokenizer.phoneToken("12"));
  EXPECT_FALSE(tokenizer.phoneToken("call me"));
  EXPECT_FALSE(tokenizer.phoneToken("1+2345"));
  EXPECT_FALSE(tokenizer.idNumberToken("12/34/56"));
  EXPECT_EQ(normalizePhone("+86 138 1234 5678"), "+8613812345678");
}

TEST(MaskingTest, ShowsOnlyTheEnds) {
  EXPECT_EQ(maskPhone("13812345678"), "138****5678");
  EXPECT_EQ(maskPhone("12345"), "*****");
  EXPECT_EQ(maskIdNumber("110101199003071234"), "110***********1234");
  EXPECT_EQ(maskName("张三丰"), "张**");
  EXPECT_EQ(maskName("Alice"), "A****");
  EXPECT_EQ(maskAccount("6222020012345678"), "****5678");
  EXPECT_EQ(maskAccount("123"), "***");
  EXPECT_EQ(maskName(""), "");
}

}  // namespace
}  // namespace kefu::privacy
