#include "call/entry_point.h"

#include <gtest/gtest.h>

#include <set>

#include "call/call_record.h"

namespace kefu::call {
namespace {

EntryPoint valid() {
  EntryPoint e;
  e.id = "ep_1";
  e.number = "+4930123456";
  e.name = "Support line";
  e.target = {TargetKind::Queue, "support"};
  return e;
}

TEST(EntryPointTest, TargetKindsRoundTripThroughText) {
  for (auto kind :
       {TargetKind::Queue, TargetKind::Extension, TargetKind::Number, TargetKind::Announcement}) {
    EXPECT_EQ(parseTargetKind(toString(kind)), kind);
  }
  EXPECT_EQ(parseTargetKind("Queue"), std::nullopt);
  EXPECT_EQ(parseTargetKind(""), std::nullopt);
}

TEST(EntryPointTest, ValidateNamesTheBadField) {
  EXPECT_TRUE(validate(valid()).ok());
  auto e = valid();
  e.number = "12a";
  EXPECT_EQ(validate(e).error().field, "number");
  e.number = "1+2";
  EXPECT_EQ(validate(e).error().field, "number");
  e.number = "";
  EXPECT_EQ(validate(e).error().field, "number");
  e.number = std::string(33, '1');
  EXPECT_EQ(validate(e).error().field, "number");
  e = valid();
  e.number = "*100#";
  EXPECT_TRUE(validate(e).ok());
  e.name = "";
  EXPECT_EQ(validate(e).error().field, "name");
  e = valid();
  e.target.id = "";
  EXPECT_EQ(validate(e).error().field, "target.id");
  e.target = {TargetKind::Extension, "sip:301"};
  EXPECT_EQ(validate(e).error().field, "target.id");
  e.target = {TargetKind::Announcement, "/prompts/closed.wav"};
  EXPECT_TRUE(validate(e).ok());
}

TEST(EntryPointTest, EventTypesHaveDistinctNames) {
  std::set<std::string_view> names;
  for (int i = 0; i <= static_cast<int>(CallEventType::Ended); ++i) {
    auto name = toString(static_cast<CallEventType>(i));
    EXPECT_NE(name, "unknown");
    names.insert(name);
  }
  EXPECT_EQ(names.size(), static_cast<std::size_t>(CallEventType::Ended) + 1);
}

}  // namespace
}  // namespace kefu::call
