#include "privacy/audit_chain.h"

#include <gtest/gtest.h>

#include "privacy/residency_policy.h"

namespace kefu::privacy {
namespace {

std::vector<AuditRecord> chain(int n) {
  std::vector<AuditRecord> records;
  std::string prev = auditGenesisHash();
  for (int i = 0; i < n; ++i) {
    records.push_back(chainAuditRecord(
        {1000 + i, "core-1", "usr_1", "read", "customer", "cu_" + std::to_string(i), "phones"}, i,
        prev));
    prev = records.back().hash;
  }
  return records;
}

AuditHead headOf(const std::vector<AuditRecord>& records) {
  return {records.back().seq, records.back().hash};
}

TEST(AuditChainTest, IntactChainVerifies) {
  auto records = chain(5);
  EXPECT_TRUE(verifyAuditChain(records, headOf(records)).empty());
  EXPECT_TRUE(verifyAuditChain({}, AuditHead{0, auditGenesisHash()}).empty());
}

TEST(AuditChainTest, EditedRecordIsNamed) {
  auto records = chain(5);
  auto head = headOf(records);
  records[2].entry.actor = "usr_mallory";
  auto problems = verifyAuditChain(records, head);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].seq, 3);
}

TEST(AuditChainTest, EditWithRecomputedHashBreaksTheNextLink) {
  auto records = chain(5);
  auto head = headOf(records);
  records[1].entry.field = "name";
  records[1].hash = auditRecordHash(records[1]);
  auto problems = verifyAuditChain(records, head);
  ASSERT_FALSE(problems.empty());
  EXPECT_EQ(problems[0].seq, 3);
}

TEST(AuditChainTest, DeletedRecordIsNamed) {
  auto records = chain(5);
  auto head = headOf(records);
  records.erase(records.begin() + 1);
  auto problems = verifyAuditChain(records, head);
  ASSERT_FALSE(problems.empty());
  EXPECT_EQ(problems[0].seq, 3);
  EXPECT_NE(problems[0].what.find("2 to 2"), std::string::npos);
}

TEST(AuditChainTest, DeletedNewestRecordIsCaughtByTheHead) {
  auto records = chain(5);
  auto head = headOf(records);
  records.pop_back();
  auto problems = verifyAuditChain(records, head);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].seq, 5);
}

TEST(ResidencyPolicyTest, OverridesPerEntityAndPerField) {
  auto overrides = ResidencyPolicy::parseOverrides("tickets=core, tickets.status=operational");
  ASSERT_TRUE(overrides.ok());
  ResidencyPolicy policy(SiteKind::Edge, *overrides);
  EXPECT_EQ(policy.classOf("tickets", "subject", DataClass::Operational), DataClass::Core);
  EXPECT_EQ(policy.classOf("tickets", "status", DataClass::Core), DataClass::Operational);
  EXPECT_EQ(policy.classOf("agents", "name", DataClass::Operational), DataClass::Operational);
  EXPECT_FALSE(policy.mayStoreInClear(DataClass::Core));
  EXPECT_TRUE(policy.mayStoreInClear(DataClass::Content));
  EXPECT_TRUE(ResidencyPolicy(SiteKind::Core, {}).mayStoreInClear(DataClass::Core));
  EXPECT_EQ(ResidencyPolicy::formatOverrides(*overrides),
            "tickets=core,tickets.status=operational");
}

TEST(ResidencyPolicyTest, BadOverridesNameTheItem) {
  for (const char* bad :
       {"customers", "customers=secret", "Customers=core", "a.b.c=core", "=core"}) {
    auto parsed = ResidencyPolicy::parseOverrides(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.error().field, "privacy.field_classes");
  }
  EXPECT_TRUE(ResidencyPolicy::parseOverrides("").ok());
}

}  // namespace
}  // namespace kefu::privacy
