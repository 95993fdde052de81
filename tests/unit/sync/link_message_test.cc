#include "sync/link_message.h"

#include <gtest/gtest.h>

namespace kefu::sync {
namespace {

LinkMessage sample() {
  return {"core", 42, "customer", "cu_01", "upsert", "created_at=1\nupdated_at=2", 1790000000000, 41};
}

TEST(LinkMessageTest, EncodesAndDecodesBack) {
  auto decoded = decodeLinkMessage(encodeLinkMessage(sample()));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(*decoded, sample());
  EXPECT_EQ(decoded->eventId(), "core:42");
}

TEST(LinkMessageTest, RejectsWhatIsWrongNamingTheField) {
  auto field = [](std::string text) {
    auto decoded = decodeLinkMessage(text);
    return decoded.ok() ? std::string("accepted") : decoded.error().field;
  };
  EXPECT_EQ(field("not json"), "message");
  EXPECT_EQ(field("[1,2]"), "message");
  EXPECT_EQ(field(R"({"v":2})"), "v");
  auto m = sample();
  m.origin = "core site";
  EXPECT_EQ(field(encodeLinkMessage(m)), "origin");
  m = sample();
  m.seq = 0;
  EXPECT_EQ(field(encodeLinkMessage(m)), "seq");
  m = sample();
  m.op = "drop_table";
  EXPECT_EQ(field(encodeLinkMessage(m)), "op");
  m = sample();
  m.base = 42;  // claims its own change is acknowledged already
  EXPECT_EQ(field(encodeLinkMessage(m)), "base");
  m = sample();
  m.entity_id = "cu_01'; DROP TABLE customers;--";
  EXPECT_EQ(field(encodeLinkMessage(m)), "entity_id");
  EXPECT_EQ(field(std::string(MaxLinkMessageBytes + 1, ' ')), "message");
  EXPECT_EQ(field(R"({"v":1,"origin":"core","seq":1.5})"), "seq");
}

}  // namespace
}  // namespace kefu::sync
