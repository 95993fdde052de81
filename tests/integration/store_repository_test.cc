// One suite, run against both backends: a SQLite file and a fresh PostgreSQL database.

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include "core/id.h"
#include "core/time_source.h"
#include "store/internal/migrations.h"
#include "store/store.h"
#include "support/postgres_cluster.h"

namespace kefu::store {
namespace {

enum class Backend { Sqlite, Postgres };

/** The schema version a fresh database reaches: one per migration. */
const int LatestVersion = static_cast<int>(internal::migrations().size());

std::string backendName(const testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::Sqlite ? "Sqlite" : "Postgres";
}

class StoreRepositoryTest : public testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::Sqlite) {
      std::string pattern = (std::filesystem::temp_directory_path() / "kefu-store-XXXXXX").string();
      ASSERT_NE(mkdtemp(pattern.data()), nullptr);
      dir_ = pattern;
      url_ = "sqlite:" + dir_ + "/kefu.db";
    } else {
      url_ = test::sharedPostgres().createDatabase("store_test");
    }
    store_ = open();
    ASSERT_NE(store_, nullptr);
    auto migrated = store_->migrate();
    ASSERT_TRUE(migrated.ok()) << migrated.error().message;
    ASSERT_EQ(*migrated, LatestVersion);
  }

  void TearDown() override {
    store_.reset();
    if (!dir_.empty()) {
      std::filesystem::remove_all(dir_);
    }
  }

  StorePtr open() {
    auto opened = openStore(url_, {.pool_size = 4});
    EXPECT_TRUE(opened.ok()) << opened.error().message;
    return opened.ok() ? std::move(opened).value() : nullptr;
  }

  std::int64_t nextTime() { return clock_ms_ += 1000; }

  acd::Skill makeSkill(std::string name) {
    const std::int64_t t = nextTime();
    return {newId("sk", time_), std::move(name), "description", t, t};
  }
  auth::User makeUser(std::string username) {
    const std::int64_t t = nextTime();
    return {newId("us", time_),
            std::move(username),
            "Display Name",
            auth::Role::Agent,
            "$argon2id$v=19$hash",
            t,
            t};
  }
  acd::Agent makeAgent(std::string extension, std::vector<acd::SkillLevel> skills = {}) {
    const std::int64_t t = nextTime();
    acd::Agent agent;
    agent.id = newId("ag", time_);
    agent.name = "Agent " + extension;
    agent.extension = std::move(extension);
    agent.sip_password = "secret-" + agent.extension;
    agent.skills = std::move(skills);
    std::sort(agent.skills.begin(), agent.skills.end(),
              [](const auto& a, const auto& b) { return a.skill_id < b.skill_id; });
    agent.created_at_ms = agent.updated_at_ms = t;
    return agent;
  }
  acd::Queue makeQueue(std::string name, std::vector<acd::SkillRequirement> skills = {}) {
    const std::int64_t t = nextTime();
    acd::Queue queue;
    queue.id = newId("qu", time_);
    queue.name = std::move(name);
    queue.strategy = acd::RoutingStrategy::SkillsBestMatch;
    queue.service_level_seconds = 30;
    queue.required_skills = std::move(skills);
    std::sort(queue.required_skills.begin(), queue.required_skills.end(),
              [](const auto& a, const auto& b) { return a.skill_id < b.skill_id; });
    queue.created_at_ms = queue.updated_at_ms = t;
    return queue;
  }

  SimulatedTime time_;
  std::int64_t clock_ms_ = 1'700'000'000'000;
  std::string dir_;
  std::string url_;
  StorePtr store_;
};

#define ASSERT_OK(expr)                                          \
  do {                                                           \
    auto&& r_ = (expr);                                          \
    ASSERT_TRUE(r_.ok()) << #expr << ": " << r_.error().message; \
  } while (false)

void expectSameAgent(const acd::Agent& actual, const acd::Agent& expected) {
  EXPECT_EQ(actual.id, expected.id);
  EXPECT_EQ(actual.name, expected.name);
  EXPECT_EQ(actual.extension, expected.extension);
  EXPECT_EQ(actual.sip_password, expected.sip_password);
  EXPECT_EQ(actual.user_id, expected.user_id);
  EXPECT_EQ(actual.skills, expected.skills);
  EXPECT_EQ(actual.created_at_ms, expected.created_at_ms);
  EXPECT_EQ(actual.updated_at_ms, expected.updated_at_ms);
}

TEST_P(StoreRepositoryTest, ReportsItsBackend) {
  EXPECT_EQ(store_->backend(), GetParam() == Backend::Sqlite ? "sqlite" : "postgresql");
}

TEST_P(StoreRepositoryTest, SkillCrud) {
  auto& skills = store_->skills();
  acd::Skill english = makeSkill("english");
  acd::Skill mandarin = makeSkill("mandarin");
  ASSERT_OK(skills.create(mandarin));
  english.created_at_ms = mandarin.created_at_ms - 5000;  // created later, but older
  ASSERT_OK(skills.create(english));

  auto got = skills.get(mandarin.id);
  ASSERT_OK(got);
  EXPECT_EQ(got->name, "mandarin");
  EXPECT_EQ(got->description, "description");
  EXPECT_EQ(got->created_at_ms, mandarin.created_at_ms);

  auto listed = skills.list();
  ASSERT_OK(listed);
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].id, english.id);  // oldest first
  EXPECT_EQ((*listed)[1].id, mandarin.id);

  acd::Skill changed = mandarin;
  changed.name = "putonghua";
  changed.description = "Standard Chinese";
  changed.created_at_ms = 1;  // must be ignored
  changed.updated_at_ms = mandarin.updated_at_ms + 60'000;
  ASSERT_OK(skills.update(changed));
  got = skills.get(mandarin.id);
  ASSERT_OK(got);
  EXPECT_EQ(got->name, "putonghua");
  EXPECT_EQ(got->description, "Standard Chinese");
  EXPECT_EQ(got->created_at_ms, mandarin.created_at_ms);
  EXPECT_EQ(got->updated_at_ms, changed.updated_at_ms);

  ASSERT_OK(skills.remove(english.id));
  EXPECT_EQ(skills.get(english.id).error().code, ErrorCode::NotFound);
  EXPECT_EQ(skills.remove(english.id).error().code, ErrorCode::NotFound);
  EXPECT_EQ(skills.update(makeSkill("ghost")).error().code, ErrorCode::NotFound);
  EXPECT_EQ(skills.list()->size(), 1u);
}

TEST_P(StoreRepositoryTest, DuplicateNamesAreAlreadyExists) {
  ASSERT_OK(store_->skills().create(makeSkill("english")));
  auto skill = store_->skills().create(makeSkill("english"));
  ASSERT_FALSE(skill.ok());
  EXPECT_EQ(skill.error().code, ErrorCode::AlreadyExists);
  EXPECT_EQ(skill.error().field, "name");
  EXPECT_EQ(skill.error().message, "name english is taken");

  ASSERT_OK(store_->users().create(makeUser("alice")));
  auto user = store_->users().create(makeUser("alice"));
  ASSERT_FALSE(user.ok());
  EXPECT_EQ(user.error().code, ErrorCode::AlreadyExists);
  EXPECT_EQ(user.error().field, "username");

  ASSERT_OK(store_->queues().create(makeQueue("sales")));
  auto queue = store_->queues().create(makeQueue("sales"));
  ASSERT_FALSE(queue.ok());
  EXPECT_EQ(queue.error().code, ErrorCode::AlreadyExists);
  EXPECT_EQ(queue.error().field, "name");

  // Renaming onto a taken name is refused the same way, and changes nothing.
  acd::Skill other = makeSkill("french");
  ASSERT_OK(store_->skills().create(other));
  acd::Skill renamed = other;
  renamed.name = "english";
  auto updated = store_->skills().update(renamed);
  ASSERT_FALSE(updated.ok());
  EXPECT_EQ(updated.error().code, ErrorCode::AlreadyExists);
  EXPECT_EQ(store_->skills().get(other.id)->name, "french");
}

TEST_P(StoreRepositoryTest, UserCrudAndLookupByUsername) {
  auto& users = store_->users();
  auth::User alice = makeUser("alice");
  alice.role = auth::Role::Supervisor;
  ASSERT_OK(users.create(alice));

  auto by_name = users.getByUsername("alice");
  ASSERT_OK(by_name);
  EXPECT_EQ(by_name->id, alice.id);
  EXPECT_EQ(by_name->role, auth::Role::Supervisor);
  EXPECT_EQ(by_name->password_hash, alice.password_hash);
  EXPECT_EQ(users.getByUsername("bob").error().code, ErrorCode::NotFound);

  auth::User changed = alice;
  changed.display_name = "Alice Wang";
  changed.role = auth::Role::Admin;
  changed.created_at_ms = 0;
  ASSERT_OK(users.update(changed));
  auto got = users.get(alice.id);
  ASSERT_OK(got);
  EXPECT_EQ(got->display_name, "Alice Wang");
  EXPECT_EQ(got->role, auth::Role::Admin);
  EXPECT_EQ(got->created_at_ms, alice.created_at_ms);

  ASSERT_OK(users.create(makeUser("bob")));
  EXPECT_EQ(users.list()->size(), 2u);
  EXPECT_EQ(users.list()->front().id, alice.id);
  ASSERT_OK(users.remove(alice.id));
  EXPECT_EQ(users.get(alice.id).error().code, ErrorCode::NotFound);
  EXPECT_EQ(users.remove(alice.id).error().code, ErrorCode::NotFound);
}

TEST_P(StoreRepositoryTest, AgentCrudWithSkillsAndUser) {
  acd::Skill english = makeSkill("english");
  acd::Skill mandarin = makeSkill("mandarin");
  acd::Skill billing = makeSkill("billing");
  for (const auto& s : {english, mandarin, billing}) {
    ASSERT_OK(store_->skills().create(s));
  }
  auth::User login = makeUser("agent1001");
  ASSERT_OK(store_->users().create(login));

  acd::Agent agent = makeAgent("1001", {{english.id, 7}, {mandarin.id, 3}});
  agent.user_id = login.id;
  ASSERT_OK(store_->agents().create(agent));
  acd::Agent bare = makeAgent("1002");
  ASSERT_OK(store_->agents().create(bare));

  auto got = store_->agents().get(agent.id);
  ASSERT_OK(got);
  expectSameAgent(*got, agent);
  got = store_->agents().get(bare.id);
  ASSERT_OK(got);
  expectSameAgent(*got, bare);

  // An update replaces the whole skill list.
  acd::Agent changed = agent;
  changed.name = "Renamed";
  changed.skills = {{billing.id, 10}};
  changed.user_id.clear();
  changed.updated_at_ms += 1;
  ASSERT_OK(store_->agents().update(changed));
  got = store_->agents().get(agent.id);
  ASSERT_OK(got);
  expectSameAgent(*got, changed);

  auto listed = store_->agents().list();
  ASSERT_OK(listed);
  ASSERT_EQ(listed->size(), 2u);
  expectSameAgent((*listed)[0], changed);
  expectSameAgent((*listed)[1], bare);

  ASSERT_OK(store_->agents().remove(agent.id));
  EXPECT_EQ(store_->agents().get(agent.id).error().code, ErrorCode::NotFound);
  EXPECT_EQ(store_->agents().remove(agent.id).error().code, ErrorCode::NotFound);
  EXPECT_EQ(store_->agents().update(changed).error().code, ErrorCode::NotFound);
  // The agent's skill rows went with it: the skill can be deleted now.
  ASSERT_OK(store_->skills().remove(billing.id));
}

TEST_P(StoreRepositoryTest, TakenExtensionIsAlreadyExists) {
  ASSERT_OK(store_->agents().create(makeAgent("1001")));
  auto created = store_->agents().create(makeAgent("1001"));
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().code, ErrorCode::AlreadyExists);
  EXPECT_EQ(created.error().field, "extension");
  EXPECT_EQ(created.error().message, "extension 1001 is taken");

  acd::Agent other = makeAgent("1002");
  ASSERT_OK(store_->agents().create(other));
  other.extension = "1001";
  auto updated = store_->agents().update(other);
  ASSERT_FALSE(updated.ok());
  EXPECT_EQ(updated.error().code, ErrorCode::AlreadyExists);
  EXPECT_EQ(store_->agents().get(other.id)->extension, "1002");
}

TEST_P(StoreRepositoryTest, UnknownSkillIsInvalidArgumentAndWritesNothing) {
  acd::Skill english = makeSkill("english");
  ASSERT_OK(store_->skills().create(english));
  const std::string ghost = newId("sk", time_);

  acd::Agent agent = makeAgent("1001", {{english.id, 5}, {ghost, 5}});
  auto created = store_->agents().create(agent);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().code, ErrorCode::InvalidArgument);
  EXPECT_EQ(created.error().field, "skills");
  EXPECT_EQ(created.error().message, "unknown skill " + ghost);
  EXPECT_EQ(store_->agents().get(agent.id).error().code, ErrorCode::NotFound);
  EXPECT_TRUE(store_->agents().list()->empty());
  // The agent row was rolled back too: its extension is still free.
  acd::Agent good = makeAgent("1001", {{english.id, 5}});
  ASSERT_OK(store_->agents().create(good));

  // A failed update leaves the stored agent exactly as it was.
  acd::Agent changed = good;
  changed.name = "Changed";
  changed.skills = {{ghost, 1}};
  auto updated = store_->agents().update(changed);
  ASSERT_FALSE(updated.ok());
  EXPECT_EQ(updated.error().code, ErrorCode::InvalidArgument);
  EXPECT_EQ(updated.error().field, "skills");
  expectSameAgent(*store_->agents().get(good.id), good);

  acd::Queue queue = makeQueue("support", {{ghost, 2}});
  auto queued = store_->queues().create(queue);
  ASSERT_FALSE(queued.ok());
  EXPECT_EQ(queued.error().code, ErrorCode::InvalidArgument);
  EXPECT_EQ(queued.error().field, "required_skills");
  EXPECT_EQ(store_->queues().get(queue.id).error().code, ErrorCode::NotFound);

  acd::Agent with_user = makeAgent("1003");
  with_user.user_id = newId("us", time_);
  auto user_ref = store_->agents().create(with_user);
  ASSERT_FALSE(user_ref.ok());
  EXPECT_EQ(user_ref.error().code, ErrorCode::InvalidArgument);
  EXPECT_EQ(user_ref.error().field, "user_id");
}

TEST_P(StoreRepositoryTest, QueueCrudReplacesRequirements) {
  acd::Skill english = makeSkill("english");
  acd::Skill billing = makeSkill("billing");
  ASSERT_OK(store_->skills().create(english));
  ASSERT_OK(store_->skills().create(billing));

  acd::Queue queue = makeQueue("support", {{english.id, 3}, {billing.id, 5}});
  ASSERT_OK(store_->queues().create(queue));
  auto got = store_->queues().get(queue.id);
  ASSERT_OK(got);
  EXPECT_EQ(got->name, "support");
  EXPECT_EQ(got->strategy, acd::RoutingStrategy::SkillsBestMatch);
  EXPECT_EQ(got->service_level_seconds, 30);
  EXPECT_EQ(got->required_skills, queue.required_skills);

  acd::Queue changed = queue;
  changed.strategy = acd::RoutingStrategy::RoundRobin;
  changed.service_level_seconds = 45;
  changed.required_skills = {{billing.id, 9}};
  changed.created_at_ms = 0;
  ASSERT_OK(store_->queues().update(changed));
  got = store_->queues().get(queue.id);
  ASSERT_OK(got);
  EXPECT_EQ(got->strategy, acd::RoutingStrategy::RoundRobin);
  EXPECT_EQ(got->service_level_seconds, 45);
  EXPECT_EQ(got->required_skills, changed.required_skills);
  EXPECT_EQ(got->created_at_ms, queue.created_at_ms);

  acd::Queue second = makeQueue("sales");
  ASSERT_OK(store_->queues().create(second));
  auto listed = store_->queues().list();
  ASSERT_OK(listed);
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].id, queue.id);
  EXPECT_EQ((*listed)[0].required_skills, changed.required_skills);
  EXPECT_EQ((*listed)[1].id, second.id);
  EXPECT_TRUE((*listed)[1].required_skills.empty());

  ASSERT_OK(store_->queues().remove(queue.id));
  EXPECT_EQ(store_->queues().get(queue.id).error().code, ErrorCode::NotFound);
  EXPECT_EQ(store_->queues().remove(queue.id).error().code, ErrorCode::NotFound);
  ASSERT_OK(store_->skills().remove(billing.id));  // no longer required by anything
}

TEST_P(StoreRepositoryTest, DeletingASkillInUseIsConflict) {
  acd::Skill english = makeSkill("english");
  ASSERT_OK(store_->skills().create(english));
  acd::Agent a = makeAgent("1001", {{english.id, 5}});
  acd::Agent b = makeAgent("1002", {{english.id, 6}});
  acd::Queue q = makeQueue("support", {{english.id, 3}});
  ASSERT_OK(store_->agents().create(a));
  ASSERT_OK(store_->agents().create(b));
  ASSERT_OK(store_->queues().create(q));

  auto removed = store_->skills().remove(english.id);
  ASSERT_FALSE(removed.ok());
  EXPECT_EQ(removed.error().code, ErrorCode::Conflict);
  EXPECT_EQ(removed.error().message, "skill is used by 2 agents and 1 queue");
  EXPECT_TRUE(store_->skills().get(english.id).ok());
  expectSameAgent(*store_->agents().get(a.id), a);

  ASSERT_OK(store_->agents().remove(a.id));
  ASSERT_OK(store_->queues().remove(q.id));
  removed = store_->skills().remove(english.id);
  ASSERT_FALSE(removed.ok());
  EXPECT_EQ(removed.error().message, "skill is used by 1 agent");
  ASSERT_OK(store_->agents().remove(b.id));
  ASSERT_OK(store_->skills().remove(english.id));
}

TEST_P(StoreRepositoryTest, SessionsExpireAndGoWithTheirUser) {
  auth::User alice = makeUser("alice");
  auth::User bob = makeUser("bob");
  ASSERT_OK(store_->users().create(alice));
  ASSERT_OK(store_->users().create(bob));
  auto& sessions = store_->sessions();
  ASSERT_OK(sessions.create({"hash-a1", alice.id, 1000, 5000}));
  ASSERT_OK(sessions.create({"hash-a2", alice.id, 1000, 9000}));
  ASSERT_OK(sessions.create({"hash-b1", bob.id, 1000, 5000}));
  ASSERT_OK(sessions.create({"hash-b2", bob.id, 1000, 9000}));

  auto got = sessions.get("hash-a1");
  ASSERT_OK(got);
  EXPECT_EQ(got->user_id, alice.id);
  EXPECT_EQ(got->created_at_ms, 1000);
  EXPECT_EQ(got->expires_at_ms, 5000);
  EXPECT_EQ(sessions.get("nope").error().code, ErrorCode::NotFound);

  auto duplicate = sessions.create({"hash-a1", bob.id, 1, 2});
  ASSERT_FALSE(duplicate.ok());
  EXPECT_EQ(duplicate.error().code, ErrorCode::AlreadyExists);
  auto orphan = sessions.create({"hash-x", newId("us", time_), 1, 2});
  ASSERT_FALSE(orphan.ok());
  EXPECT_EQ(orphan.error().code, ErrorCode::InvalidArgument);
  EXPECT_EQ(orphan.error().field, "user_id");

  // Expired at or before now: a1 and b1 (expires exactly at 5000).
  auto expired = sessions.removeExpired(5000);
  ASSERT_OK(expired);
  EXPECT_EQ(*expired, 2);
  EXPECT_EQ(sessions.get("hash-a1").error().code, ErrorCode::NotFound);
  EXPECT_TRUE(sessions.get("hash-a2").ok());
  EXPECT_EQ(*sessions.removeExpired(5000), 0);

  // Deleting a user deletes its sessions and unlinks the agent acting as it.
  acd::Agent agent = makeAgent("1001");
  agent.user_id = alice.id;
  ASSERT_OK(store_->agents().create(agent));
  ASSERT_OK(store_->users().remove(alice.id));
  EXPECT_EQ(sessions.get("hash-a2").error().code, ErrorCode::NotFound);
  EXPECT_TRUE(sessions.get("hash-b2").ok());
  auto unlinked = store_->agents().get(agent.id);
  ASSERT_OK(unlinked);
  EXPECT_EQ(unlinked->user_id, "");

  ASSERT_OK(sessions.removeForUser(bob.id));
  EXPECT_EQ(sessions.get("hash-b2").error().code, ErrorCode::NotFound);
  ASSERT_OK(sessions.remove("hash-b2"));  // absent: not an error
}

TEST_P(StoreRepositoryTest, DataSurvivesReopening) {
  acd::Skill english = makeSkill("english");
  ASSERT_OK(store_->skills().create(english));
  acd::Agent agent = makeAgent("1001", {{english.id, 4}});
  ASSERT_OK(store_->agents().create(agent));
  store_.reset();

  store_ = open();
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(*store_->schemaVersion(), LatestVersion);
  auto migrated = store_->migrate();
  ASSERT_OK(migrated);
  EXPECT_EQ(*migrated, 0);
  auto got = store_->agents().get(agent.id);
  ASSERT_OK(got);
  expectSameAgent(*got, agent);
}

TEST_P(StoreRepositoryTest, MigrateTwiceAppliesNothingTheSecondTime) {
  auto again = store_->migrate();
  ASSERT_OK(again);
  EXPECT_EQ(*again, 0);
  EXPECT_EQ(*store_->schemaVersion(), LatestVersion);
}

TEST_P(StoreRepositoryTest, ConcurrentMigrationsApplyEachVersionOnce) {
  // A database nobody migrated yet, and two stores (as two processes would) migrating it at once.
  if (GetParam() == Backend::Sqlite) {
    url_ = "sqlite:" + dir_ + "/fresh.db";
  } else {
    url_ = test::sharedPostgres().createDatabase("store_concurrent");
  }
  StorePtr first = open();
  StorePtr second = open();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(*first->schemaVersion(), 0);
  Result<int> a = 0;
  Result<int> b = 0;
  std::thread t1([&] { a = first->migrate(); });
  std::thread t2([&] { b = second->migrate(); });
  t1.join();
  t2.join();
  ASSERT_OK(a);
  ASSERT_OK(b);
  EXPECT_EQ(*a + *b, LatestVersion);
  EXPECT_EQ(*second->schemaVersion(), LatestVersion);
}

TEST_P(StoreRepositoryTest, ListsAThousandAgentsWithTheirSkills) {
  std::vector<acd::Skill> skills;
  for (int i = 0; i < 10; ++i) {
    skills.push_back(makeSkill("skill-" + std::to_string(i)));
    ASSERT_OK(store_->skills().create(skills.back()));
  }
  std::vector<acd::Agent> agents;
  for (int i = 0; i < 1000; ++i) {
    agents.push_back(makeAgent(std::to_string(10000 + i),
                               {{skills[i % 10].id, 1 + i % 10}, {skills[(i + 3) % 10].id, 2}}));
    ASSERT_OK(store_->agents().create(agents.back()));
  }
  const auto start = std::chrono::steady_clock::now();
  auto listed = store_->agents().list();
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_OK(listed);
  ASSERT_EQ(listed->size(), 1000u);
  for (std::size_t i = 0; i < agents.size(); ++i) {
    expectSameAgent((*listed)[i], agents[i]);
  }
  RecordProperty(
      "list_ms",
      static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()));
  // Two queries take a few milliseconds; a query per agent would take far longer on PostgreSQL.
  EXPECT_LT(elapsed, std::chrono::seconds(2));
}

TEST_P(StoreRepositoryTest, ConcurrentReadersAndAWriter) {
  acd::Skill english = makeSkill("english");
  ASSERT_OK(store_->skills().create(english));
  std::atomic<int> failures{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        auto got = store_->skills().get(english.id);
        if (!got.ok() || got->name != "english") {
          ++failures;
        }
      }
    });
  }
  for (int i = 0; i < 50; ++i) {
    ASSERT_OK(store_->agents().create(makeAgent(std::to_string(2000 + i), {{english.id, 1}})));
  }
  for (auto& reader : readers) {
    reader.join();
  }
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(store_->agents().list()->size(), 50u);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreRepositoryTest,
                         testing::Values(Backend::Sqlite, Backend::Postgres), backendName);

TEST(OpenStoreTest, UnknownSchemeIsInvalidArgument) {
  auto opened = openStore("mysql://localhost/kefu");
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, ErrorCode::InvalidArgument);
  EXPECT_EQ(opened.error().field, "storage.url");
}

TEST(OpenStoreTest, UnreachablePostgresIsUnavailable) {
  // Port 1 on loopback: nothing listens there, so the connection is refused at once.
  auto opened = openStore("postgresql://postgres@127.0.0.1:1/kefu?connect_timeout=2");
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, ErrorCode::Unavailable);
}

}  // namespace
}  // namespace kefu::store
