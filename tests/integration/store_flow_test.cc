// The IVR flows' saved versions, on both backends: every save is a new version, old versions stay
// readable, a deletion hides the flow without reusing its numbers.

#include <gtest/gtest.h>

#include "store/store.h"
#include "support/store_fixture.h"

namespace kefu::store {
namespace {

using test::Backend;

using StoreFlowTest = test::StoreFixture;

TEST_P(StoreFlowTest, EverySaveIsANewVersionAndOldVersionsStayReadable) {
  auto& flows = store_->flows();
  EXPECT_EQ(flows.current("bank").error().code, ErrorCode::NotFound);
  EXPECT_EQ(*flows.lastChangeAt("bank"), 0);

  auto first = flows.save("bank", "name: bank\n# one\n", "admin", 1000);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->version, 1);
  auto second = flows.save("bank", "name: bank\n# two\n", "file:bank.yaml", 2000);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->version, 2);
  ASSERT_TRUE(flows.save("loans", "name: loans\n", "admin", 1500).ok());

  auto current = flows.current("bank");
  ASSERT_TRUE(current.ok());
  EXPECT_EQ(current->version, 2);
  EXPECT_EQ(current->yaml, "name: bank\n# two\n");
  EXPECT_EQ(current->saved_by, "file:bank.yaml");
  EXPECT_EQ(current->saved_at_ms, 2000);
  EXPECT_EQ(flows.version("bank", 1)->yaml, "name: bank\n# one\n");
  EXPECT_EQ(flows.version("bank", 3).error().code, ErrorCode::NotFound);
  EXPECT_EQ(*flows.lastChangeAt("bank"), 2000);

  auto history = flows.versions("bank");
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].version, 1);
  EXPECT_EQ((*history)[1].version, 2);

  auto all = flows.list();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, "bank");
  EXPECT_EQ((*all)[0].version, 2);
  EXPECT_EQ((*all)[1].id, "loans");
}

TEST_P(StoreFlowTest, ADeletedFlowIsGoneButSavingItAgainContinuesItsNumbering) {
  auto& flows = store_->flows();
  ASSERT_TRUE(flows.save("bank", "v1", "admin", 1000).ok());
  ASSERT_TRUE(flows.save("bank", "v2", "admin", 2000).ok());
  ASSERT_TRUE(flows.remove("bank", "admin", 3000).ok());

  EXPECT_EQ(flows.current("bank").error().code, ErrorCode::NotFound);
  EXPECT_TRUE(flows.list()->empty());
  EXPECT_EQ(flows.remove("bank", "admin", 3500).error().code, ErrorCode::NotFound);
  EXPECT_EQ(*flows.lastChangeAt("bank"), 3000);
  EXPECT_EQ(flows.version("bank", 2)->yaml, "v2");  // a call that started on it can read it

  auto again = flows.save("bank", "v4", "admin", 4000);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->version, 4);  // 3 was the deletion
  EXPECT_EQ(flows.current("bank")->yaml, "v4");
  EXPECT_EQ(flows.versions("bank")->size(), 3u);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreFlowTest,
                         testing::Values(Backend::Sqlite, Backend::Postgres), test::backendName);

}  // namespace
}  // namespace kefu::store
