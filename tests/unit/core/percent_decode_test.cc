#include "core/percent_decode.h"

#include <gtest/gtest.h>

namespace kefu {
namespace {

TEST(PercentDecodeTest, DecodesEscapesOfEitherCaseAndKeepsOtherBytes) {
  EXPECT_EQ(percentDecode("a%20b"), "a b");
  EXPECT_EQ(percentDecode("%3c%3E%2F"), "<>/");
  EXPECT_EQ(percentDecode("Replaces=x%40h%3Bto-tag%3D1"), "Replaces=x@h;to-tag=1");
  EXPECT_EQ(percentDecode("%E5%AE%A2"), "\xE5\xAE\xA2");  // one UTF-8 character
  EXPECT_EQ(percentDecode(""), "");
}

TEST(PercentDecodeTest, RefusesBrokenEscapes) {
  EXPECT_EQ(percentDecode("%"), std::nullopt);
  EXPECT_EQ(percentDecode("ab%4"), std::nullopt);
  EXPECT_EQ(percentDecode("%g0"), std::nullopt);
  EXPECT_EQ(percentDecode("%0z"), std::nullopt);
}

TEST(PercentDecodeTest, ANulIsDecodedAndLeftToTheCallerToRefuse) {
  auto decoded = percentDecode("a%00b");
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, std::string("a\0b", 3));
}

}  // namespace
}  // namespace kefu
