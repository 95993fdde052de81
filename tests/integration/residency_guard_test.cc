// An edge site's store refuses core-class values in clear whatever path tries to write them: the
// customer repository, or raw SQL in every shape the guard could be fooled with. Both backends.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "privacy/field_cipher.h"
#include "store/store.h"
#include "support/postgres_cluster.h"
#include "support/site_fixture.h"

namespace kefu::store {
namespace {

using test::Backend;

constexpr const char* Phone = "13812345678";

class ResidencyGuardTest : public testing::TestWithParam<Backend> {
 protected:
  void SetUp() override { url_ = test::freshStorageUrl(GetParam()); }
  void TearDown() override {
    store_.reset();
    if (url_.starts_with("sqlite:")) {
      std::filesystem::remove_all(std::filesystem::path(url_.substr(7)).parent_path());
    }
  }

  /** Opens the store as an edge site with `overrides`, no keys. */
  Store& openEdge(const std::string& overrides = "") {
    StoreOptions options;
    options.residency = {privacy::SiteKind::Edge,
                         *privacy::ResidencyPolicy::parseOverrides(overrides)};
    auto opened = openStore(url_, options);
    EXPECT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(opened).value();
    auto migrated = store_->migrate();
    EXPECT_TRUE(migrated.ok()) << migrated.error().message;
    return *store_;
  }

  static void expectRefused(const Result<std::int64_t>& result, const std::string& field,
                            const std::string& what) {
    ASSERT_FALSE(result.ok()) << what << " was let through";
    EXPECT_EQ(result.error().code, ErrorCode::PermissionDenied) << what;
    EXPECT_EQ(result.error().field, field) << what;
  }

  std::string url_;
  StorePtr store_;
};

TEST_P(ResidencyGuardTest, RepositoryCannotStoreACustomerInClear) {
  Store& store = openEdge();
  crm::Customer customer{"cu_1", "Zhang San", {Phone}, "110101199003071234", {}, 1, 1};
  auto created = store.customers().create(customer);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().code, ErrorCode::PermissionDenied);
  EXPECT_EQ(created.error().field, "customers.name");
  EXPECT_EQ(store.customers().list()->size(), 0u);
}

TEST_P(ResidencyGuardTest, RawStatementsCannotSlipAValuePast) {
  Store& store = openEdge();
  const std::string field = "customers.phones";
  expectRefused(store.execForTest("INSERT INTO customers (id, phones, created_at, updated_at) "
                                  "VALUES ($1, $2, 1, 1)",
                                  {"cu_a", Phone}),
                field, "a bound value");
  expectRefused(store.execForTest("insert into customers (id, phones, created_at, updated_at) "
                                  "values ('cu_b', '13812345678', 1, 1)",
                                  {}),
                field, "a literal");
  expectRefused(store.execForTest("INSERT INTO \"customers\" (\"id\", \"PHONES\", created_at, "
                                  "updated_at) VALUES ($1, lower($2), 1, 1)",
                                  {"cu_c", Phone}),
                field, "quoted names and an expression");
  expectRefused(store.execForTest("INSERT INTO customers (id, created_at, updated_at, phones) "
                                  "VALUES ($1, 1, 1, NULL), ($2, 1, 1, $3)",
                                  {"cu_d", "cu_e", Phone}),
                field, "a second row");
  expectRefused(store.execForTest("INSERT INTO customers SELECT $1, NULL, $2, NULL, NULL, 1, 1",
                                  {"cu_f", Phone}),
                "customers", "INSERT … SELECT");
  expectRefused(store.execForTest("INSERT INTO customers (id, created_at, updated_at) VALUES "
                                  "('cu_g', 1, 1) ON CONFLICT (id) DO UPDATE SET phones = $1",
                                  {Phone}),
                field, "an upsert");
  // Rows without personal values are fine; then updates try to fill them in.
  ASSERT_TRUE(store
                  .execForTest("INSERT INTO customers (id, name, phones, created_at, updated_at) "
                               "VALUES ($1, NULL, $2, 1, 1)",
                               {"cu_ok", ""})
                  .ok());
  expectRefused(
      store.execForTest("UPDATE customers SET phones = $1 WHERE id = $2", {Phone, "cu_ok"}), field,
      "an update");
  expectRefused(store.execForTest("UPDATE customers SET updated_at = 2, phones = phones || $1 "
                                  "WHERE id = $2",
                                  {Phone, "cu_ok"}),
                field, "an update by expression");
  expectRefused(store.execForTest("WITH x AS (SELECT 1) UPDATE customers SET phones = $1", {Phone}),
                "customers", "a CTE");

  // What the guard must let through: sealed values, and operational columns.
  privacy::FieldCipher cipher(privacy::KeyRing::generate());
  auto sealed = *cipher.seal(Phone, "customers.phones:cu_ok");
  EXPECT_TRUE(
      store.execForTest("UPDATE customers SET phones = $1 WHERE id = $2", {sealed, "cu_ok"}).ok());
  EXPECT_TRUE(
      store.execForTest("UPDATE customers SET updated_at = 5 WHERE id = $1", {"cu_ok"}).ok());

  // Nothing in clear reached the table.
  auto customers = store.customers().list();
  ASSERT_TRUE(customers.ok()) << customers.error().message;
  ASSERT_EQ(customers->size(), 1u);
  EXPECT_TRUE((*customers)[0].phones.empty());  // sealed, and this site has no key to open it
}

TEST_P(ResidencyGuardTest, ConfiguredFieldClassIsEnforcedToo) {
  Store& store = openEdge("skills.description=core");
  auto created = store.skills().create({"sk_1", "english", "VIP line for 13812345678", 1, 1});
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().field, "skills.description");
  EXPECT_TRUE(store.skills().create({"sk_2", "french", "", 1, 1}).ok());
}

TEST_P(ResidencyGuardTest, CoreSiteStoresCustomersSealed) {
  StoreOptions options;
  options.residency = {privacy::SiteKind::Core, {}};
  auto ring = privacy::KeyRing::generate();
  options.tokenizer = std::make_shared<privacy::Tokenizer>(ring.tokenKey());
  options.cipher = std::make_shared<privacy::FieldCipher>(ring);
  auto opened = openStore(url_, options);
  ASSERT_TRUE(opened.ok());
  store_ = std::move(opened).value();
  ASSERT_TRUE(store_->migrate().ok());
  crm::Customer customer{
      "cu_1", "Zhang San", {Phone, "010-6552-9988"}, "110101199003071234", {"6222020012345678"}, 1,
      1};
  ASSERT_TRUE(store_->customers().create(customer).ok());
  auto got = store_->customers().get("cu_1");
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->phones, customer.phones);
  EXPECT_EQ(got->accounts, customer.accounts);
  auto found = store_->customers().findByToken(*options.tokenizer->phoneToken("0106552 9988"));
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].id, "cu_1");
  // The same store with an edge policy would refuse; with a core policy clear text is allowed,
  // but the repository sealed everything anyway.
  EXPECT_EQ(store_->execForTest("UPDATE customers SET name = name WHERE id = $1", {"cu_1"}).value(),
            1);
}

INSTANTIATE_TEST_SUITE_P(Backends, ResidencyGuardTest,
                         testing::Values(Backend::Sqlite, Backend::Postgres), test::backendName);

}  // namespace
}  // namespace kefu::store
