// Queue routing settings, agents' chat capacity and entry points as stored, on both backends: what
// is written comes back, rows from before migration 4 read as the old defaults, and references
// (overflow targets, entry point targets) are checked on write and on delete.

#include <gtest/gtest.h>

#include <filesystem>

#include "store/internal/migrations.h"
#include "store/internal/postgres_database.h"
#include "store/internal/sqlite_database.h"
#include "store/store.h"
#include "support/site_fixture.h"

namespace kefu::store {
namespace {

using namespace std::chrono_literals;
using test::Backend;

#define ASSERT_OK(expr)                                          \
  do {                                                           \
    auto&& r_ = (expr);                                          \
    ASSERT_TRUE(r_.ok()) << #expr << ": " << r_.error().message; \
  } while (false)

class StoreRoutingSettingsTest : public testing::TestWithParam<Backend> {
 protected:
  void SetUp() override { url_ = test::freshStorageUrl(GetParam()); }

  void TearDown() override {
    store_.reset();
    if (url_.starts_with("sqlite:")) {
      std::filesystem::remove_all(std::filesystem::path(url_.substr(7)).parent_path());
    }
  }

  Store& open() {
    store_.reset();
    auto opened = openStore(url_);
    EXPECT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(opened).value();
    auto migrated = store_->migrate();
    EXPECT_TRUE(migrated.ok()) << migrated.error().message;
    return *store_;
  }

  /** A queue with every setting away from its default. */
  static acd::Queue queueWithSettings(const std::string& id, const std::string& overflow_to) {
    acd::Queue q;
    q.id = id;
    q.name = "queue " + id;
    q.strategy = acd::RoutingStrategy::LeastOccupied;
    q.service_level_seconds = 30;
    q.created_at_ms = q.updated_at_ms = 1'700'000'000'000;
    q.relaxation = {{30s, 5}, {90s, 2}};
    q.max_size = 40;
    q.overflow = {{.above_size = 25, .target = "cloud"},
                  {.after_wait = 120s, .target = overflow_to}};
    q.wrap_up = 15s;
    q.alert_timeout = 12s;
    q.sticky_window = 45s;
    q.callback_timeout = 90s;
    q.short_abandon = 8s;
    q.callback_enabled = false;
    return q;
  }

  static void expectSameSettings(const acd::Queue& actual, const acd::Queue& expected) {
    EXPECT_EQ(actual.name, expected.name);
    EXPECT_EQ(actual.strategy, expected.strategy);
    EXPECT_EQ(actual.relaxation, expected.relaxation);
    EXPECT_EQ(actual.max_size, expected.max_size);
    EXPECT_EQ(actual.overflow, expected.overflow);
    EXPECT_EQ(actual.wrap_up, expected.wrap_up);
    EXPECT_EQ(actual.alert_timeout, expected.alert_timeout);
    EXPECT_EQ(actual.sticky_window, expected.sticky_window);
    EXPECT_EQ(actual.callback_timeout, expected.callback_timeout);
    EXPECT_EQ(actual.short_abandon, expected.short_abandon);
    EXPECT_EQ(actual.callback_enabled, expected.callback_enabled);
  }

  static call::EntryPoint entryPoint(const std::string& id, const std::string& number,
                                     call::Target target) {
    call::EntryPoint e;
    e.id = id;
    e.number = number;
    e.name = "line " + number;
    e.target = std::move(target);
    e.greeting = "welcome.wav";
    e.priority = 5;
    e.enabled = true;
    e.created_at_ms = e.updated_at_ms = 1'700'000'000'000;
    return e;
  }

  std::string url_;
  StorePtr store_;
};

TEST_P(StoreRoutingSettingsTest, QueueSettingsRoundTripThroughCreateUpdateAndList) {
  Store& store = open();
  acd::Queue backup = queueWithSettings("q_backup", "cloud-east");
  ASSERT_OK(store.queues().create(backup));
  acd::Queue sales = queueWithSettings("q_sales", "q_backup");
  ASSERT_OK(store.queues().create(sales));

  auto got = store.queues().get("q_sales");
  ASSERT_OK(got);
  expectSameSettings(*got, sales);

  // An update replaces every setting, steps and rules included.
  sales.relaxation = {{10s, 9}};
  sales.overflow = {{.after_wait = 200s, .target = "cloud"}};
  sales.max_size = 0;
  sales.wrap_up = 0s;
  sales.callback_enabled = true;
  sales.updated_at_ms += 1000;
  ASSERT_OK(store.queues().update(sales));
  got = store.queues().get("q_sales");
  ASSERT_OK(got);
  expectSameSettings(*got, sales);

  auto all = store.queues().list();
  ASSERT_OK(all);
  ASSERT_EQ(all->size(), 2u);
  expectSameSettings((*all)[0], backup);
  expectSameSettings((*all)[1], sales);

  // Settings survive reopening the database (what a site restart reads).
  Store& reopened = open();
  got = reopened.queues().get("q_backup");
  ASSERT_OK(got);
  expectSameSettings(*got, backup);
}

TEST_P(StoreRoutingSettingsTest, OverflowTargetsThatAreQueueIdsMustExistAndCannotBeDeleted) {
  Store& store = open();
  auto unknown = store.queues().create(queueWithSettings("q_sales", "q_nowhere"));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::InvalidArgument);
  EXPECT_EQ(unknown.error().field, "overflow[1].target");
  EXPECT_EQ(store.queues().list()->size(), 0u);  // nothing was written

  ASSERT_OK(store.queues().create(queueWithSettings("q_backup", "cloud")));
  ASSERT_OK(store.queues().create(queueWithSettings("q_sales", "q_backup")));
  auto referenced = store.queues().remove("q_backup");
  ASSERT_FALSE(referenced.ok());
  EXPECT_EQ(referenced.error().code, ErrorCode::Conflict);
  EXPECT_NE(referenced.error().message.find("q_sales"), std::string::npos)
      << referenced.error().message;
  ASSERT_OK(store.queues().get("q_backup"));

  // Once no rule names it, it goes; a queue that names others goes at any time.
  acd::Queue sales = queueWithSettings("q_sales", "cloud");
  ASSERT_OK(store.queues().update(sales));
  ASSERT_OK(store.queues().remove("q_backup"));
  ASSERT_OK(store.queues().remove("q_sales"));
}

TEST_P(StoreRoutingSettingsTest, RowsFromBeforeMigrationFourReadAsTheOldDefaults) {
  // A database at version 3 with a queue and an agent, as a site of the previous release left it.
  {
    const std::string path = url_.starts_with("sqlite:") ? url_.substr(7) : url_;
    auto database = url_.starts_with("sqlite:") ? internal::openSqliteDatabase(path, 1)
                                                : internal::openPostgresDatabase(path, 1);
    ASSERT_OK(database);
    auto migrated = (*database)->migrate(internal::migrations().first(3));
    ASSERT_OK(migrated);
    ASSERT_EQ(*migrated, 3);
    ASSERT_OK((*database)->transact([](internal::SqlSession& session) -> Result<void> {
      KEFU_TRY(session.exec(
          "INSERT INTO queues (id, name, strategy, service_level_seconds, created_at, updated_at) "
          "VALUES ('q_old', 'old', 'round_robin', 20, 1, 1)"));
      KEFU_TRY(session.exec(
          "INSERT INTO agents (id, name, extension, sip_password, created_at, updated_at) "
          "VALUES ('ag_old', 'Old', '1001', 'secret-1001', 1, 1)"));
      return {};
    }));
  }
  Store& store = open();
  EXPECT_EQ(*store.schemaVersion(), static_cast<int>(internal::migrations().size()));
  auto queue = store.queues().get("q_old");
  ASSERT_OK(queue);
  acd::Queue defaults;
  defaults.name = "old";
  defaults.strategy = acd::RoutingStrategy::RoundRobin;
  expectSameSettings(*queue, defaults);
  auto agent = store.agents().get("ag_old");
  ASSERT_OK(agent);
  EXPECT_EQ(agent->chat_capacity, acd::DefaultChatCapacity);
}

TEST_P(StoreRoutingSettingsTest, AgentChatCapacityIsStored) {
  Store& store = open();
  acd::Agent agent;
  agent.id = "ag_1";
  agent.name = "Li";
  agent.extension = "1001";
  agent.sip_password = "secret-1001";
  agent.chat_capacity = 7;
  ASSERT_OK(store.agents().create(agent));
  EXPECT_EQ(store.agents().get("ag_1")->chat_capacity, 7);
  agent.chat_capacity = 0;
  ASSERT_OK(store.agents().update(agent));
  EXPECT_EQ(store.agents().get("ag_1")->chat_capacity, 0);
  EXPECT_EQ((*store.agents().list())[0].chat_capacity, 0);
}

TEST_P(StoreRoutingSettingsTest, EntryPointsRoundTripAndNumbersAreUnique) {
  Store& store = open();
  ASSERT_OK(store.queues().create(queueWithSettings("q_sales", "cloud")));
  auto sales = entryPoint("ep_1", "+8610800", {call::TargetKind::Queue, "q_sales"});
  auto support = entryPoint("ep_2", "4000", {call::TargetKind::Extension, "1001"});
  support.enabled = false;
  support.greeting.clear();
  support.priority = -2;
  ASSERT_OK(store.entryPoints().create(sales));
  ASSERT_OK(store.entryPoints().create(support));

  auto got = store.entryPoints().get("ep_2");
  ASSERT_OK(got);
  EXPECT_EQ(got->number, "4000");
  EXPECT_EQ(got->target, support.target);
  EXPECT_EQ(got->greeting, "");
  EXPECT_EQ(got->priority, -2);
  EXPECT_FALSE(got->enabled);

  auto taken = store.entryPoints().create(
      entryPoint("ep_3", "4000", {call::TargetKind::Number, "+44207946"}));
  ASSERT_FALSE(taken.ok());
  EXPECT_EQ(taken.error().code, ErrorCode::AlreadyExists);
  EXPECT_EQ(taken.error().field, "number");

  sales.target = {call::TargetKind::Announcement, "closed.wav"};
  sales.name = "after hours";
  sales.updated_at_ms += 5;
  ASSERT_OK(store.entryPoints().update(sales));
  auto all = store.entryPoints().list();
  ASSERT_OK(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, "ep_1");
  EXPECT_EQ((*all)[0].target, sales.target);
  EXPECT_EQ((*all)[0].name, "after hours");
  EXPECT_EQ((*all)[0].updated_at_ms, sales.updated_at_ms);

  ASSERT_OK(store.entryPoints().remove("ep_1"));
  EXPECT_EQ(store.entryPoints().get("ep_1").error().code, ErrorCode::NotFound);
  EXPECT_EQ(store.entryPoints().remove("ep_1").error().code, ErrorCode::NotFound);
  EXPECT_EQ(store.entryPoints().update(sales).error().code, ErrorCode::NotFound);
}

TEST_P(StoreRoutingSettingsTest, EntryPointQueueTargetsMustExistAndHoldTheirQueue) {
  Store& store = open();
  auto unknown =
      store.entryPoints().create(entryPoint("ep_1", "800", {call::TargetKind::Queue, "q_missing"}));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::InvalidArgument);
  EXPECT_EQ(unknown.error().field, "target.id");

  auto bad_number =
      store.entryPoints().create(entryPoint("ep_1", "80 0", {call::TargetKind::Extension, "1001"}));
  ASSERT_FALSE(bad_number.ok());
  EXPECT_EQ(bad_number.error().field, "number");
  EXPECT_TRUE(store.entryPoints().list()->empty());

  ASSERT_OK(store.queues().create(queueWithSettings("q_sales", "cloud")));
  ASSERT_OK(
      store.entryPoints().create(entryPoint("ep_1", "800", {call::TargetKind::Queue, "q_sales"})));
  auto in_use = store.queues().remove("q_sales");
  ASSERT_FALSE(in_use.ok());
  EXPECT_EQ(in_use.error().code, ErrorCode::Conflict);
  EXPECT_NE(in_use.error().message.find("800"), std::string::npos) << in_use.error().message;
  ASSERT_OK(store.entryPoints().remove("ep_1"));
  ASSERT_OK(store.queues().remove("q_sales"));
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreRoutingSettingsTest,
                         testing::Values(Backend::Sqlite, Backend::Postgres), test::backendName);

}  // namespace
}  // namespace kefu::store
