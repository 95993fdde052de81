#include "sip/refer_to.h"

#include <gtest/gtest.h>

namespace kefu::sip {
namespace {

TEST(ReferToTest, BlindTransferGivesTheUriWithoutReplaces) {
  auto target = parseReferTo("<sip:2002@kefu.local;transport=tcp>");
  ASSERT_TRUE(target.has_value());
  EXPECT_EQ(target->uri, "sip:2002@kefu.local;transport=tcp");
  EXPECT_FALSE(target->replaces.has_value());
}

TEST(ReferToTest, BareUriEndsAtTheFirstHeaderParameter) {
  auto target = parseReferTo("  sip:2002@10.0.0.1:5070 ;foo=bar");
  ASSERT_TRUE(target.has_value());
  EXPECT_EQ(target->uri, "sip:2002@10.0.0.1:5070");
}

TEST(ReferToTest, AttendedTransferDecodesTheEmbeddedReplaces) {
  // As a Yealink phone sends it: the Replaces value percent-encoded in the URI's headers.
  auto target = parseReferTo(
      "\"Sales\" <sip:1111@a.example.com?Replaces=1995681538%40192.168.1.6%3Bto-tag%3DZrBmv78K9v"
      "%3Bfrom-tag%3D1368305041>;x=y");
  ASSERT_TRUE(target.has_value());
  EXPECT_EQ(target->uri, "sip:1111@a.example.com");
  ASSERT_TRUE(target->replaces.has_value());
  EXPECT_EQ(target->replaces->call_id, "1995681538@192.168.1.6");
  EXPECT_EQ(target->replaces->to_tag, "ZrBmv78K9v");
  EXPECT_EQ(target->replaces->from_tag, "1368305041");
}

TEST(ReferToTest, OtherEmbeddedHeadersAreDroppedAndReplacesIsFoundAmongThem) {
  auto target =
      parseReferTo("<sips:b@h?Accept-Contact=x&replaces=c1%3bfrom-tag%3dF%3bto-tag%3dT&Foo=1>");
  ASSERT_TRUE(target.has_value());
  EXPECT_EQ(target->uri, "sips:b@h");
  ASSERT_TRUE(target->replaces.has_value());
  EXPECT_EQ(*target->replaces, (ReplacesTarget{"c1", "T", "F"}));
}

TEST(ReferToTest, BrokenValuesAreRefused) {
  EXPECT_FALSE(parseReferTo(""));
  EXPECT_FALSE(parseReferTo("<>"));
  EXPECT_FALSE(parseReferTo("<sip:a@b"));                           // unclosed
  EXPECT_FALSE(parseReferTo("<2002@kefu.local>"));                  // no scheme
  EXPECT_FALSE(parseReferTo("<sip:a@b?Replaces=c%3Bto-tag%3>"));    // broken escape
  EXPECT_FALSE(parseReferTo("<sip:a@b?Replaces=c%3Bto-tag%3Dx>"));  // no from-tag
  EXPECT_FALSE(parseReferTo("<sip:a@b?Replaces=c%ZZ>"));
  EXPECT_FALSE(parseReferTo(std::string(MaxReferToSize + 1, 's')));
}

TEST(ReplacesTest, ParametersInAnyOrderAndCase) {
  EXPECT_EQ(parseReplaces("abc@host;From-Tag=f1;early-only;TO-TAG=t1"),
            (ReplacesTarget{"abc@host", "t1", "f1"}));
  EXPECT_EQ(parseReplaces(" id ; to-tag = a ; from-tag = b "), (ReplacesTarget{"id", "a", "b"}));
}

TEST(ReplacesTest, MissingPartsAreRefused) {
  EXPECT_FALSE(parseReplaces(";to-tag=a;from-tag=b"));
  EXPECT_FALSE(parseReplaces("id;to-tag=a"));
  EXPECT_FALSE(parseReplaces("id;to-tag=;from-tag=b"));
  EXPECT_FALSE(parseReplaces("i d;to-tag=a;from-tag=b"));
}

}  // namespace
}  // namespace kefu::sip
