#include "crm/customer.h"

#include <gtest/gtest.h>

namespace kefu::crm {
namespace {

Customer valid() {
  return {"cu_1",
          "张三",
          {"13812345678", "+86 10 6552 9988"},
          "110101199003071234",
          {"6222020012345678"},
          1,
          1};
}

TEST(CustomerTest, ValidCustomerPasses) { EXPECT_TRUE(validate(valid()).ok()); }

TEST(CustomerTest, ErrorsNameTheField) {
  auto c = valid();
  c.phones.push_back("call me");
  EXPECT_EQ(validate(c).error().field, "phones[2]");
  c = valid();
  c.name = "";
  EXPECT_EQ(validate(c).error().field, "name");
  c = valid();
  c.id_number = "12-34";
  EXPECT_EQ(validate(c).error().field, "id_number");
  c = valid();
  c.accounts = {"ok", "line\nbreak"};
  EXPECT_EQ(validate(c).error().field, "accounts[1]");
}

}  // namespace
}  // namespace kefu::crm
