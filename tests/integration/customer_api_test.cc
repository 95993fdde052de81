// Customers through the API on a core (all-in-one) site and an edge site, on both backends:
// masking, reveal and lookups written to the audit trail, personal values sealed in the database
// files, the audit trail's tamper detection, and key rotation by the real binary.

#include <SQLiteCpp/SQLiteCpp.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdio.h>
#include <sys/wait.h>

#include <array>
#include <fstream>
#include <pqxx/pqxx>
#include <sstream>

#include "store/store.h"
#include "support/site_fixture.h"

namespace kefu::test {
namespace {

using ::testing::HasSubstr;

constexpr const char* Phone = "13812345678";
constexpr const char* IdNumber = "110101199003071234";

const std::string CustomerJson = Json{
    {"name", "张三丰"},
    {"phones", {Phone, "+86 10 6552 9988"}},
    {"id_number", IdNumber},
    {"accounts",
     {"6222020012345678"}}}.dump();

/** Runs the kefu binary; @return exit code and output. */
std::pair<int, std::string> runKefu(const std::vector<std::string>& args) {
  std::string command = std::string("'") + KEFU_BINARY + "'";
  for (const auto& arg : args) {
    command += " '" + arg + "'";
  }
  command += " 2>&1 </dev/null";
  std::string output;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return {-1, ""};
  }
  std::array<char, 4096> buffer{};
  while (std::size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe)) {
    output.append(buffer.data(), n);
  }
  int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

class CustomerApiTest : public SiteFixture {
 protected:
  /** Creates the test customer; @return its JSON. */
  Json createCustomer() {
    auto reply = client().post("/api/v1/customers", CustomerJson);
    EXPECT_EQ(reply.status, 201) << reply.body;
    return body(reply);
  }

  /** Runs one SQL statement on the site's database directly, as an intruder with psql would. */
  void rawSql(const std::string& sql) {
    if (GetParam() == Backend::Sqlite) {
      SQLite::Database db(config_.storage.url.substr(7), SQLite::OPEN_READWRITE);
      db.exec(sql);
    } else {
      pqxx::connection connection(config_.storage.url);
      pqxx::work tx(connection);
      tx.exec(sql);
      tx.commit();
    }
  }

  /** @return every stored personal column value, as the database holds it. */
  std::vector<std::string> storedPersonalValues() {
    std::vector<std::string> values;
    const std::string sql = "SELECT name, phones, id_number, accounts FROM customers";
    if (GetParam() == Backend::Sqlite) {
      SQLite::Database db(config_.storage.url.substr(7), SQLite::OPEN_READONLY);
      SQLite::Statement query(db, sql);
      while (query.executeStep()) {
        for (int i = 0; i < 4; ++i) {
          values.push_back(query.getColumn(i).getString());
        }
      }
    } else {
      pqxx::connection connection(config_.storage.url);
      pqxx::read_transaction tx(connection);
      for (const auto& row : tx.exec(sql)) {
        for (int i = 0; i < 4; ++i) {
          values.push_back(row[i].is_null() ? "" : row[i].as<std::string>());
        }
      }
    }
    return values;
  }

  std::vector<std::string> storageFlags() {
    return {"--storage-url",      config_.storage.url,
            "--privacy-key-file", server::keyFilePath(config_).string(),
            "--log-level",        "warn"};
  }
};

TEST_P(CustomerApiTest, ResponsesAreMaskedUnlessRevealedAndRevealsAreAudited) {
  Json created = createCustomer();
  EXPECT_EQ(created["name"], "张**");
  EXPECT_EQ(created["phones"][0], "138****5678");
  EXPECT_EQ(created["id_number"], "110***********1234");
  EXPECT_EQ(created["accounts"][0], "****5678");
  EXPECT_EQ(created["masked"], true);
  const std::string id = created["id"];

  auto revealed = client().get("/api/v1/customers/" + id + "?reveal=true");
  ASSERT_EQ(revealed.status, 200) << revealed.body;
  EXPECT_EQ(body(revealed)["phones"][0], Phone);
  EXPECT_EQ(body(revealed)["id_number"], IdNumber);

  auto audit = client().get("/api/v1/audit?limit=1000");
  ASSERT_EQ(audit.status, 200) << audit.body;
  int creates = 0;
  int reads = 0;
  const Json records = body(audit);
  ASSERT_EQ(records["count"], 8);
  for (const auto& record : records["items"]) {
    EXPECT_EQ(record["entity_id"], id);
    EXPECT_EQ(record["site"], config_.site.name);
    EXPECT_THAT(std::string(record["actor"]), ::testing::StartsWith("usr"));
    creates += record["action"] == "create" ? 1 : 0;
    reads += record["action"] == "read" ? 1 : 0;
  }
  EXPECT_EQ(creates, 4);  // name, phones, id_number, accounts
  EXPECT_EQ(reads, 4);
  EXPECT_EQ(records.dump().find(Phone), std::string::npos);
}

TEST_P(CustomerApiTest, ReturningCallerIsFoundByNumberOrToken) {
  Json created = createCustomer();
  auto by_phone = client().post("/api/v1/customers/lookup", R"({"phone":"138 1234-5678"})");
  ASSERT_EQ(by_phone.status, 200) << by_phone.body;
  ASSERT_EQ(body(by_phone)["count"], 1);
  EXPECT_EQ(body(by_phone)["items"][0]["id"], created["id"]);
  auto by_token =
      client().post("/api/v1/customers/lookup", Json{{"token", created["tokens"][0]}}.dump());
  ASSERT_EQ(body(by_token)["count"], 1);
  auto stranger = client().post("/api/v1/customers/lookup", R"({"phone":"13900000000"})");
  EXPECT_EQ(body(stranger)["count"], 0);
  auto bad = client().post("/api/v1/customers/lookup", R"({"phone":"call me"})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(body(bad)["error"]["field"], "phone");
}

TEST_P(CustomerApiTest, BadInputIsA400NamingTheField) {
  auto c = client();
  auto wrong_type = c.post("/api/v1/customers", R"({"name":"A","phones":[13812345678]})");
  EXPECT_EQ(wrong_type.status, 400);
  EXPECT_EQ(body(wrong_type)["error"]["field"], "phones[0]");
  auto unknown = c.post("/api/v1/customers", R"({"name":"A","email":"a@b"})");
  EXPECT_EQ(body(unknown)["error"]["field"], "email");
  auto missing = c.post("/api/v1/customers", R"({"phones":[]})");
  EXPECT_EQ(body(missing)["error"]["field"], "name");
  auto malformed = c.post("/api/v1/customers", R"({"name":)");
  EXPECT_EQ(malformed.status, 400);
  auto agent_id = c.put("/api/v1/customers/cu_nobody", CustomerJson);
  EXPECT_EQ(agent_id.status, 404);
}

TEST_P(CustomerApiTest, UpdateAndDeleteAreAudited) {
  Json created = createCustomer();
  const std::string id = created["id"];
  auto updated = client().put("/api/v1/customers/" + id,
                              Json{{"name", "张三丰"}, {"phones", {"13900001111"}}}.dump());
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(body(updated)["phones"].size(), 1u);
  EXPECT_EQ(body(updated)["id_number"], nullptr);
  auto old = client().post("/api/v1/customers/lookup", Json{{"phone", Phone}}.dump());
  EXPECT_EQ(body(old)["count"], 0);  // the old number's token went with it
  EXPECT_EQ(client().del("/api/v1/customers/" + id).status, 204);
  EXPECT_EQ(client().get("/api/v1/customers/" + id).status, 404);
  const Json audit = body(client().get("/api/v1/audit?after=4"));
  std::vector<std::string> actions;
  for (const auto& record : audit["items"]) {
    actions.push_back(std::string(record["action"]) + ":" +
                      std::string(record["field"].is_null() ? "" : record["field"]));
  }
  EXPECT_THAT(actions, ::testing::ElementsAre("update:phones", "update:id_number",
                                              "update:accounts", "delete:"));
}

TEST_P(CustomerApiTest, PersonalValuesAreSealedInTheDatabase) {
  createCustomer();
  for (const auto& value : storedPersonalValues()) {
    EXPECT_TRUE(value.starts_with("enc1:1:")) << value;
  }
  if (GetParam() == Backend::Sqlite) {
    site_->stop(std::chrono::seconds(1));  // checkpoints the WAL into the file
    std::ifstream in(config_.storage.url.substr(7), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    EXPECT_EQ(bytes.str().find(Phone), std::string::npos);
    EXPECT_EQ(bytes.str().find(IdNumber), std::string::npos);
    EXPECT_EQ(bytes.str().find("6222020012345678"), std::string::npos);
  }
}

TEST_P(CustomerApiTest, AuditVerifyNamesAnEditedOrDeletedRecord) {
  Json created = createCustomer();
  ASSERT_EQ(client().get("/api/v1/customers/" + std::string(created["id"]) + "?reveal=true").status,
            200);
  auto intact = body(client().get("/api/v1/audit/verify"));
  EXPECT_EQ(intact["intact"], true);
  EXPECT_EQ(intact["records"], 8);
  auto cli = runKefu([&] {
    auto args = std::vector<std::string>{"audit", "verify"};
    for (auto& flag : storageFlags()) args.push_back(flag);
    return args;
  }());
  EXPECT_EQ(cli.first, 0) << cli.second;
  EXPECT_THAT(cli.second, HasSubstr("audit trail intact: 8 record(s)"));

  rawSql("UPDATE audit_log SET actor = 'usr_somebody_else' WHERE seq = 6");
  auto edited = body(client().get("/api/v1/audit/verify"));
  EXPECT_EQ(edited["intact"], false);
  ASSERT_EQ(edited["problems"].size(), 1u);
  EXPECT_EQ(edited["problems"][0]["seq"], 6);

  rawSql("DELETE FROM audit_log WHERE seq = 3");
  auto args = std::vector<std::string>{"audit", "verify"};
  for (auto& flag : storageFlags()) args.push_back(flag);
  auto deleted = runKefu(args);
  EXPECT_EQ(deleted.first, 1) << deleted.second;
  EXPECT_THAT(deleted.second, HasSubstr("record 4: records 3 to 3 are missing"));
  EXPECT_THAT(deleted.second, HasSubstr("record 6: hash does not match"));

  rawSql("DELETE FROM audit_log WHERE seq = 8");
  auto newest = body(client().get("/api/v1/audit/verify"));
  EXPECT_THAT(newest["problems"].dump(), HasSubstr("newest records deleted"));
}

TEST_P(CustomerApiTest, KeyRotationReencryptsAndKeepsEveryValue) {
  Json created = createCustomer();
  const std::string id = created["id"];
  site_->stop(std::chrono::seconds(1));  // restart() below starts it again
  auto args = std::vector<std::string>{"keys", "rotate"};
  for (auto& flag : storageFlags()) args.push_back(flag);
  auto rotated = runKefu(args);
  ASSERT_EQ(rotated.first, 0) << rotated.second;
  EXPECT_THAT(rotated.second, HasSubstr("data key 2 is current"));
  EXPECT_THAT(rotated.second, HasSubstr("re-encrypted 1 customer(s)"));
  for (const auto& value : storedPersonalValues()) {
    EXPECT_TRUE(value.starts_with("enc1:2:")) << value;
  }
  restart();
  admin_token_ = login("admin", AdminPassword);
  auto revealed = client().get("/api/v1/customers/" + id + "?reveal=true");
  ASSERT_EQ(revealed.status, 200) << revealed.body;
  EXPECT_EQ(body(revealed)["id_number"], IdNumber);
  EXPECT_EQ(body(revealed)["phones"][1], "+86 10 6552 9988");
}

TEST_P(CustomerApiTest, KeyRotationAlsoReencryptsTheSealedCallersOfCallEvents) {
  site_->stop(std::chrono::seconds(1));
  const std::string caller = "13912345678";
  {
    auto options = server::privacyStoreOptions(config_);
    ASSERT_TRUE(options.ok()) << options.error().message;
    auto store = store::openStore(config_.storage.url, *options);
    ASSERT_TRUE(store.ok()) << store.error().message;
    for (auto type : {call::CallEventType::Created, call::CallEventType::Ended}) {
      call::CallEvent event;
      event.type = type;
      event.at_ms = 1000;
      event.call_id = "call_rotate_1";
      event.caller = caller;
      event.dialed = "4001";
      ASSERT_TRUE((*store)->callRecords().append(event).ok());
    }
  }
  auto args = std::vector<std::string>{"keys", "rotate"};
  for (auto& flag : storageFlags()) args.push_back(flag);
  auto rotated = runKefu(args);
  ASSERT_EQ(rotated.first, 0) << rotated.second;

  // Reopened with the rotated key file: both events' callers are under data key 2 and still open.
  auto options = server::privacyStoreOptions(config_);
  ASSERT_TRUE(options.ok()) << options.error().message;
  auto store = store::openStore(config_.storage.url, *options);
  ASSERT_TRUE(store.ok()) << store.error().message;
  // A no-op update that counts the rows whose caller is sealed under key 2.
  auto under_key_2 = (*store)->execForTest(
      "UPDATE call_events SET dialed = dialed WHERE caller LIKE 'enc1:2:%'", {});
  ASSERT_TRUE(under_key_2.ok()) << under_key_2.error().message;
  EXPECT_EQ(*under_key_2, 2);
  auto events = (*store)->callRecords().eventsOf("call_rotate_1");
  ASSERT_TRUE(events.ok()) << events.error().message;
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].caller, caller);
  EXPECT_EQ((*events)[1].caller, caller);
  store->reset();
  restart();
}

INSTANTIATE_TEST_SUITE_P(Backends, CustomerApiTest,
                         testing::Values(Backend::Sqlite, Backend::Postgres), backendName);

/** An edge site: no data keys, so the API cannot store a customer, whatever it sends. */
class EdgeCustomerApiTest : public SiteFixture {
 protected:
  void configure(server::Config& config) override { config.site.role = server::SiteRole::Edge; }
};

TEST_P(EdgeCustomerApiTest, CreatingACustomerIsRefusedByResidency) {
  auto reply = client().post("/api/v1/customers", CustomerJson);
  EXPECT_EQ(reply.status, 403) << reply.body;
  EXPECT_EQ(body(reply)["error"]["field"], "customers.name");
  EXPECT_EQ(body(client().get("/api/v1/customers"))["count"], 0);
  auto lookup = client().post("/api/v1/customers/lookup", Json{{"phone", Phone}}.dump());
  EXPECT_EQ(lookup.status, 503);  // no token key on this edge site
  EXPECT_FALSE(std::filesystem::exists(server::keyFilePath(config_)));
}

INSTANTIATE_TEST_SUITE_P(Backends, EdgeCustomerApiTest,
                         testing::Values(Backend::Sqlite, Backend::Postgres), backendName);

}  // namespace
}  // namespace kefu::test
