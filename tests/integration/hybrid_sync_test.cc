// Two real sites on loopback: a core site on PostgreSQL and an edge site on SQLite, each with its
// own real nats-server (JetStream, one domain per site); the core's dials the edge's as a leafnode
// over mutual TLS. Customers made on the core reach the edge as tokens only, and nothing personal
// ever reaches the edge's database, its streams or either server's logs.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nats/nats.h>
#include <stdio.h>
#include <sys/wait.h>

#include <array>
#include <atomic>
#include <chrono>
#include <thread>

#include "call/call_record.h"
#include "store/store.h"
#include "support/nats_server.h"
#include "support/postgres_cluster.h"
#include "support/site_fixture.h"
#include "sync/link_message.h"

namespace kefu::test {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

/** A planted phone number and ID number per customer: what must never reach the edge. */
std::string plantedPhone(int i) { return "1391234" + std::to_string(1000 + i); }
std::string plantedId(int i) { return "5101011990" + std::to_string(10000000 + i); }

class HybridSyncTest : public testing::Test {
 protected:
  void SetUp() override {
    certs_ = TestCertificates::make();
    edge_nats_ =
        NatsServer::start({"edge", true, 0, certs_->ca, certs_->hub_cert, certs_->hub_key});
    ASSERT_NE(edge_nats_, nullptr);
    core_nats_ = NatsServer::start(
        {"core", false, edge_nats_->leafPort(), certs_->ca, certs_->leaf_cert, certs_->leaf_key});
    ASSERT_NE(core_nats_, nullptr);
    keys_dir_ =
        std::filesystem::temp_directory_path() / ("kefu-hybrid-keys-" + std::to_string(::getpid()));
    std::filesystem::create_directories(keys_dir_);

    core_config_.site.name = "core";
    core_config_.site.role = server::SiteRole::Core;
    core_config_.storage.url = freshStorageUrl(Backend::Postgres);
    core_config_.privacy.key_file = (keys_dir_ / "core.keys").string();
    core_config_.sync = {core_nats_->clientUrl(), "edge"};
    edge_config_.site.name = "edge";
    edge_config_.site.role = server::SiteRole::Edge;
    edge_config_.storage.url = freshStorageUrl(Backend::Sqlite);
    edge_config_.privacy.key_file = (keys_dir_ / "edge.keys").string();  // absent: no keys at all
    edge_config_.sync = {edge_nats_->clientUrl(), "core"};
    for (auto* config : {&core_config_, &edge_config_}) {
      config->http.listen = {"127.0.0.1", 0};
      config->sip.enabled = false;
      config->auth.admin_password = AdminPassword;
      config->log.level = server::LogLevel::Warn;
    }
    core_ = startSite(core_config_);
    edge_ = startSite(edge_config_);
    ASSERT_TRUE(core_ && edge_);
    core_token_ = login(*core_);
    edge_token_ = login(*edge_);
  }

  void TearDown() override {
    for (auto* site : {&core_, &edge_}) {
      if (*site) {
        (*site)->stop(1s);
        site->reset();
      }
    }
    core_nats_.reset();
    edge_nats_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(keys_dir_, ignored);
    std::filesystem::remove_all(edgeDatabaseDir(), ignored);
  }

  static std::unique_ptr<server::Site> startSite(const server::Config& config) {
    auto site = server::Site::start(config);
    EXPECT_TRUE(site.ok()) << site.error().message;
    return site.ok() ? std::move(site).value() : nullptr;
  }

  static std::string login(server::Site& site) {
    auto reply = HttpClient(site.httpPort())
                     .post("/api/v1/auth/login",
                           Json{{"username", "admin"}, {"password", AdminPassword}}.dump());
    return Json::parse(reply.body).value("token", "");
  }

  HttpClient coreClient() {
    HttpClient c(core_->httpPort());
    c.setToken(core_token_);
    return c;
  }
  HttpClient edgeClient() {
    HttpClient c(edge_->httpPort());
    c.setToken(edge_token_);
    return c;
  }

  std::filesystem::path edgeDatabaseDir() const {
    return std::filesystem::path(edge_config_.storage.url.substr(7)).parent_path();
  }

  /** Creates customer `i` on the core; @return its id. */
  std::string createOnCore(int i) {
    auto reply =
        coreClient().post("/api/v1/customers", Json{{"name", "Customer " + std::to_string(i)},
                                                    {"phones", {plantedPhone(i)}},
                                                    {"id_number", plantedId(i)}}
                                                   .dump());
    EXPECT_EQ(reply.status, 201) << reply.body;
    return Json::parse(reply.body).value("id", "");
  }

  Json edgeCustomers() { return Json::parse(edgeClient().get("/api/v1/customers").body); }

  Json syncStatus(HttpClient client) { return Json::parse(client.get("/api/v1/sync/status").body); }

  /** Waits up to `limit` for `done`; @return whether it happened. */
  template <class Predicate>
  static bool eventually(Predicate done, std::chrono::milliseconds limit = 20s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) {
        return true;
      }
      std::this_thread::sleep_for(50ms);
    }
    return done();
  }

  std::unique_ptr<TestCertificates> certs_;
  std::unique_ptr<NatsServer> edge_nats_;
  std::unique_ptr<NatsServer> core_nats_;
  std::filesystem::path keys_dir_;
  server::Config core_config_;
  server::Config edge_config_;
  std::unique_ptr<server::Site> core_;
  std::unique_ptr<server::Site> edge_;
  std::string core_token_;
  std::string edge_token_;
};

TEST_F(HybridSyncTest, CustomersReachTheEdgeAsTokensOnlyAndNothingPersonalLeaks) {
  constexpr int N = 20;
  std::vector<std::string> ids;
  for (int i = 0; i < N; ++i) {
    ids.push_back(createOnCore(i));
  }
  ASSERT_TRUE(eventually([&] { return edgeCustomers().value("count", 0) == N; }))
      << edgeCustomers().dump() << "\ncore: " << syncStatus(coreClient()).dump()
      << "\nedge: " << syncStatus(edgeClient()).dump();

  // The edge knows each customer by id and tokens, and recognises a returning caller by token.
  auto core_view = Json::parse(coreClient().get("/api/v1/customers/" + ids[3]).body);
  auto edge_view =
      Json::parse(edgeClient().get("/api/v1/customers/" + ids[3] + "?reveal=true").body);
  EXPECT_EQ(edge_view["tokens"], core_view["tokens"]);
  EXPECT_EQ(edge_view["name"], "");
  EXPECT_EQ(edge_view["phones"], Json::array());
  EXPECT_EQ(edge_view["personal_data_available"], false);
  auto found = Json::parse(
      edgeClient()
          .post("/api/v1/customers/lookup", Json{{"token", core_view["tokens"][0]}}.dump())
          .body);
  ASSERT_EQ(found["count"], 1);
  EXPECT_EQ(found["items"][0]["id"], ids[3]);

  // Updates and deletions follow; the core's outbox empties once the edge has acknowledged.
  auto updated =
      coreClient().put("/api/v1/customers/" + ids[0],
                       Json{{"name", "Customer 0"}, {"phones", {plantedPhone(100)}}}.dump());
  ASSERT_EQ(updated.status, 200) << updated.body;
  ASSERT_EQ(coreClient().del("/api/v1/customers/" + ids[1]).status, 204);
  const Json new_tokens = Json::parse(updated.body)["tokens"];
  EXPECT_TRUE(eventually([&] {
    return edgeCustomers().value("count", 0) == N - 1 &&
           Json::parse(edgeClient().get("/api/v1/customers/" + ids[0]).body)["tokens"] ==
               new_tokens;
  }));
  EXPECT_TRUE(eventually([&] { return syncStatus(coreClient()).value("backlog", -1) == 0; }))
      << syncStatus(coreClient()).dump();
  EXPECT_TRUE(eventually([&] { return syncStatus(coreClient())["link"] == "up"; }));
  EXPECT_EQ(syncStatus(edgeClient())["applied"], N + 2);
  EXPECT_EQ(syncStatus(edgeClient())["rejected"], 0);

  // Planted numbers appear nowhere on the edge: database files, stream store, logs; nor in any
  // stream or log of the core's nats-server (the link carries tokens only).
  edge_->stop(1s);
  for (int i : {0, 2, 7, N - 1, 100}) {
    for (const auto& value : {plantedPhone(i), plantedId(i)}) {
      EXPECT_THAT(filesContaining(edgeDatabaseDir(), value), ::testing::IsEmpty()) << value;
      EXPECT_THAT(filesContaining(edge_nats_->dir(), value), ::testing::IsEmpty()) << value;
      EXPECT_THAT(filesContaining(core_nats_->dir(), value), ::testing::IsEmpty()) << value;
    }
  }
  // The scan can find things: the tokens are there.
  EXPECT_THAT(filesContaining(edge_nats_->dir(), std::string(core_view["tokens"][0])),
              ::testing::Not(::testing::IsEmpty()));
}

TEST_F(HybridSyncTest, BothSitesServeWithTheLinkDownAndTheBacklogDrains) {
  ASSERT_TRUE(eventually([&] { return syncStatus(coreClient())["link"] == "up"; }));
  edge_nats_->kill();
  ASSERT_TRUE(eventually([&] { return syncStatus(coreClient())["link"] == "down"; }));
  constexpr int N = 50;
  for (int i = 0; i < N; ++i) {
    createOnCore(i);  // the core keeps serving
  }
  EXPECT_EQ(edgeClient().get("/api/v1/customers").status, 200);  // so does the edge
  EXPECT_EQ(syncStatus(coreClient())["backlog"], N);
  ASSERT_TRUE(edge_nats_->restart());
  EXPECT_TRUE(eventually([&] { return edgeCustomers().value("count", 0) == N; }, 30s))
      << syncStatus(coreClient()).dump() << "\n"
      << syncStatus(edgeClient()).dump();
  EXPECT_TRUE(eventually([&] { return syncStatus(coreClient()).value("backlog", -1) == 0; }));
  EXPECT_EQ(syncStatus(edgeClient())["applied"], N);
}

TEST_F(HybridSyncTest, ForgedCertificateIsRefusedAndLogged) {
  ASSERT_TRUE(eventually([&] { return syncStatus(coreClient())["link"] == "up"; }));
  ASSERT_THAT(edge_nats_->log(), ::testing::Not(HasSubstr("handshake error")));
  auto rogue = NatsServer::start(
      {"rogue", false, edge_nats_->leafPort(), certs_->ca, certs_->rogue_cert, certs_->rogue_key});
  ASSERT_NE(rogue, nullptr);
  EXPECT_TRUE(eventually(
      [&] { return edge_nats_->log().find("handshake error") != std::string::npos; }, 10s))
      << edge_nats_->log();
  // The rogue never joined: a change published on it reaches neither site.
  natsConnection* nc = nullptr;
  ASSERT_EQ(natsConnection_ConnectTo(&nc, rogue->clientUrl().c_str()), NATS_OK);
  natsMsg* reply = nullptr;
  EXPECT_NE(natsConnection_RequestString(&reply, nc, "kefu.ping.edge", "ping", 500), NATS_OK);
  natsConnection_Destroy(nc);
  EXPECT_EQ(syncStatus(edgeClient())["link"], "up");  // the real link is untouched
}

TEST_F(HybridSyncTest, GarbageAndForgedChangesOnTheLinkAreRejected) {
  ASSERT_TRUE(eventually([&] { return syncStatus(coreClient())["link"] == "up"; }));
  // Bytes published straight into the core's outbound subject, as a compromised core-side client
  // could: they reach the edge's stream, where the edge must refuse them and keep going.
  natsConnection* nc = nullptr;
  ASSERT_EQ(natsConnection_ConnectTo(&nc, core_nats_->clientUrl().c_str()), NATS_OK);
  jsCtx* js = nullptr;
  ASSERT_EQ(natsConnection_JetStream(&js, nc, nullptr), NATS_OK);
  for (const std::string garbage :
       {"not json", "{\"v\":1}",
        "{\"v\":1,\"origin\":\"core\",\"seq\":999999,"
        "\"entity_type\":\"customer\",\"entity_id\":\"cu_x\",\"op\":"
        "\"upsert\",\"payload\":\"name=13912341000\",\"at_ms\":1,\"base\":0}"}) {
    ASSERT_EQ(js_Publish(nullptr, js, "kefu.out.core", garbage.data(),
                         static_cast<int>(garbage.size()), nullptr, nullptr),
              NATS_OK);
  }
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  EXPECT_TRUE(eventually([&] { return syncStatus(edgeClient()).value("rejected", 0) == 3; }))
      << syncStatus(edgeClient()).dump();
  createOnCore(1);
  EXPECT_TRUE(eventually([&] { return edgeCustomers().value("count", 0) == 1; }));
}

TEST_F(HybridSyncTest, EdgeVerifiesAndRevealsThroughTheCoreWhichChecksRolesAndAudits) {
  const std::string id = createOnCore(1);
  ASSERT_TRUE(eventually([&] { return edgeCustomers().value("count", 0) == 1; }));
  auto edge = edgeClient();

  // Verify-identity: the caller's number is compared on the core; the answer is yes or no.
  auto verify = [&](HttpClient& client, const std::string& phone) {
    return client.post("/api/v1/customers/" + id + "/verify-identity",
                       Json{{"phone", phone}}.dump());
  };
  auto yes = verify(edge, plantedPhone(1));
  ASSERT_EQ(yes.status, 200) << yes.body;
  EXPECT_EQ(Json::parse(yes.body)["match"], true);
  auto no = verify(edge, "13800000000");
  ASSERT_EQ(no.status, 200) << no.body;
  EXPECT_EQ(Json::parse(no.body)["match"], false);

  // Reveal: the clear value comes from the core, for a purpose.
  auto reveal = [&](HttpClient& client, const std::string& field, const std::string& purpose) {
    return client.post("/api/v1/customers/" + id + "/reveal",
                       Json{{"field", field}, {"purpose", purpose}}.dump());
  };
  auto phones = reveal(edge, "phones", "callback");
  ASSERT_EQ(phones.status, 200) << phones.body;
  EXPECT_EQ(Json::parse(phones.body)["values"], Json::array({plantedPhone(1)}));
  auto id_number = reveal(edge, "id_number", "complaint");
  ASSERT_EQ(id_number.status, 200) << id_number.body;
  EXPECT_EQ(Json::parse(id_number.body)["values"], Json::array({plantedId(1)}));
  EXPECT_EQ(reveal(edge, "phones", "").status, 400);  // no purpose, no reveal
  EXPECT_EQ(reveal(edge, "password", "callback").status, 400);

  // An agent of the edge may see a name and numbers, not the ID number: the core refuses.
  ASSERT_EQ(edge.post("/api/v1/users", Json{{"username", "edge.agent"},
                                            {"display_name", "Edge Agent"},
                                            {"role", "agent"},
                                            {"password", "agent-pass-1"}}
                                           .dump())
                .status,
            201);
  HttpClient agent(edge_->httpPort());
  agent.setToken(
      Json::parse(agent
                      .post("/api/v1/auth/login",
                            Json{{"username", "edge.agent"}, {"password", "agent-pass-1"}}.dump())
                      .body)
          .value("token", ""));
  auto refused = reveal(agent, "id_number", "callback");
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_EQ(Json::parse(refused.body)["error"]["code"], "permission_denied");
  EXPECT_THAT(refused.body, ::testing::Not(HasSubstr(plantedId(1))));
  EXPECT_EQ(reveal(agent, "name", "greeting").status, 200);
  EXPECT_EQ(verify(agent, plantedPhone(1)).status, 200);

  // The core's audit trail names the asking site, user and purpose, and its chain holds.
  const std::string edge_admin =
      Json::parse(edge.get("/api/v1/auth/me").body).value("id", std::string("?"));
  auto audit = Json::parse(coreClient().get("/api/v1/audit?limit=1000").body);
  std::vector<std::string> seen;
  for (const auto& r : audit["items"]) {
    if (r["site"] == "edge") {
      seen.push_back(std::string(r["actor"] == edge_admin ? "admin " : "other ") +
                     std::string(r["action"]) + " " + std::string(r["field"]));
    }
  }
  EXPECT_THAT(seen, ::testing::ElementsAre("admin verify phones", "admin verify phones",
                                           "admin detokenize:callback phones",
                                           "admin detokenize:complaint id_number",
                                           "other detokenize:greeting name", "other verify phones"))
      << audit.dump();
  EXPECT_EQ(Json::parse(coreClient().get("/api/v1/audit/verify").body)["intact"], true);

  // The revealed values were only in the answers: nowhere in the edge's files or either stream.
  edge_->stop(1s);
  for (const auto& value : {plantedPhone(1), plantedId(1)}) {
    EXPECT_THAT(filesContaining(edgeDatabaseDir(), value), ::testing::IsEmpty()) << value;
    EXPECT_THAT(filesContaining(edge_nats_->dir(), value), ::testing::IsEmpty()) << value;
    EXPECT_THAT(filesContaining(core_nats_->dir(), value), ::testing::IsEmpty()) << value;
  }
}

TEST_F(HybridSyncTest, IdentityRequestsAnswer503WithinTheTimeoutWhenTheCoreIsUnreachable) {
  const std::string id = createOnCore(2);
  ASSERT_TRUE(eventually([&] { return edgeCustomers().value("count", 0) == 1; }));
  auto edge = edgeClient();
  auto reveal = [&] {
    return edge.post("/api/v1/customers/" + id + "/reveal",
                     Json{{"field", "name"}, {"purpose", "callback"}}.dump());
  };
  ASSERT_EQ(reveal().status, 200);
  // Three ways the core goes out of reach: its nats-server (the leafnode with it) dies, the core
  // site stops answering, the edge's own nats-server dies. Each is a 503 within the link's
  // request timeout (2 s), never a hang.
  auto expectUnreachable = [&](const char* what) {
    const auto begun = std::chrono::steady_clock::now();
    auto reply = reveal();
    const auto took = std::chrono::steady_clock::now() - begun;
    EXPECT_EQ(reply.status, 503) << what << ": " << reply.body;
    EXPECT_THAT(reply.body, HasSubstr("core site unreachable")) << what;
    EXPECT_LT(took, 3s) << what;
    auto verified = edge.post("/api/v1/customers/" + id + "/verify-identity",
                              Json{{"phone", plantedPhone(2)}}.dump());
    EXPECT_EQ(verified.status, 503) << what << ": " << verified.body;
  };
  core_nats_->kill();
  expectUnreachable("core's nats-server down");
  ASSERT_TRUE(core_nats_->restart());
  ASSERT_TRUE(eventually([&] { return reveal().status == 200; }, 30s));

  core_->stop(1s);
  expectUnreachable("core site stopped");
  core_ = startSite(core_config_);
  ASSERT_NE(core_, nullptr);
  ASSERT_TRUE(eventually([&] { return reveal().status == 200; }, 30s));

  edge_nats_->kill();
  expectUnreachable("edge's nats-server down");
  EXPECT_EQ(edge.get("/api/v1/customers").status, 200);  // the edge keeps serving what it has
}

TEST_F(HybridSyncTest, AChangeOnTheEdgeIsACommandToTheCoreAndReplicatesBack) {
  const std::string id = createOnCore(3);
  ASSERT_TRUE(eventually([&] { return edgeCustomers().value("count", 0) == 1; }));
  const std::string account = "6222020000007788";
  auto edge = edgeClient();
  auto put = [&](const std::string& phone) {
    return edge.put("/api/v1/customers/" + id, Json{{"name", "Customer 3"},
                                                    {"phones", {phone}},
                                                    {"id_number", plantedId(3)},
                                                    {"accounts", {account}}}
                                                   .dump());
  };
  auto changed = put(plantedPhone(300));
  ASSERT_EQ(changed.status, 200) << changed.body;

  // The core (the owner) applied it, audited it as the edge's, and its change came back as tokens.
  auto core_view = Json::parse(coreClient().get("/api/v1/customers/" + id + "?reveal=true").body);
  EXPECT_EQ(core_view["phones"], Json::array({plantedPhone(300)}));
  EXPECT_EQ(core_view["accounts"], Json::array({account}));
  EXPECT_TRUE(eventually([&] {
    return Json::parse(edge.get("/api/v1/customers/" + id).body)["tokens"] == core_view["tokens"];
  })) << core_view.dump();
  auto audit = Json::parse(coreClient().get("/api/v1/audit?limit=1000").body);
  std::vector<std::string> from_edge;
  for (const auto& r : audit["items"]) {
    if (r["site"] == "edge") {
      from_edge.push_back(std::string(r["action"]) + " " + std::string(r["field"]));
    }
  }
  EXPECT_THAT(from_edge, ::testing::ElementsAre("update phones", "update accounts"));

  // With the core out of reach the command is refused at once (not queued: the edge may not
  // store the clear values it carries), and the customer is unchanged everywhere.
  core_nats_->kill();
  const auto begun = std::chrono::steady_clock::now();
  auto refused = put(plantedPhone(301));
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_THAT(refused.body, HasSubstr("core site unreachable"));
  EXPECT_LT(std::chrono::steady_clock::now() - begun, 3s);
  EXPECT_EQ(
      Json::parse(coreClient().get("/api/v1/customers/" + id + "?reveal=true").body)["phones"],
      Json::array({plantedPhone(300)}));

  edge_->stop(1s);
  for (const auto& value : {plantedPhone(300), plantedPhone(301), account}) {
    EXPECT_THAT(filesContaining(edgeDatabaseDir(), value), ::testing::IsEmpty()) << value;
    EXPECT_THAT(filesContaining(edge_nats_->dir(), value), ::testing::IsEmpty()) << value;
  }
}

TEST_F(HybridSyncTest, ACreationOrDeletionOnTheEdgeIsACommandToTheCore) {
  auto edge = edgeClient();
  const std::string phone = plantedPhone(400);
  auto created = edge.post(
      "/api/v1/customers",
      Json{{"name", "Customer 400"}, {"phones", {phone}}, {"id_number", plantedId(400)}}.dump());
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = Json::parse(created.body)["id"];
  EXPECT_EQ(created.body.find(phone), std::string::npos) << created.body;

  // The core gave the id, stored the clear values and audited the creation as the edge's; the
  // customer came back to the edge as tokens.
  auto core_view = Json::parse(coreClient().get("/api/v1/customers/" + id + "?reveal=true").body);
  EXPECT_EQ(core_view["phones"], Json::array({phone}));
  ASSERT_TRUE(eventually([&] {
    return Json::parse(edge.get("/api/v1/customers/" + id).body)["tokens"] == core_view["tokens"];
  })) << core_view.dump();
  auto from_edge = [&] {
    std::vector<std::string> actions;
    const Json audit = Json::parse(coreClient().get("/api/v1/audit?limit=1000").body);
    for (const auto& r : audit["items"]) {
      if (r["site"] == "edge" && r["entity_id"] == id) {
        const auto& field = r["field"];
        actions.push_back(std::string(r["action"]) + " " +
                          (field.is_string() ? field.get<std::string>() : std::string()));
      }
    }
    return actions;
  };
  EXPECT_THAT(from_edge(),
              ::testing::ElementsAre("create name", "create phones", "create id_number"));

  auto removed = edge.del("/api/v1/customers/" + id);
  ASSERT_EQ(removed.status, 204) << removed.body;
  EXPECT_EQ(coreClient().get("/api/v1/customers/" + id).status, 404);
  EXPECT_TRUE(eventually([&] { return edge.get("/api/v1/customers/" + id).status == 404; }));
  EXPECT_THAT(from_edge(), ::testing::Contains("delete "));
  EXPECT_EQ(edge.del("/api/v1/customers/" + id).status, 404);

  // Out of reach of the core, a creation is refused at once rather than kept on the edge.
  core_nats_->kill();
  auto refused = edge.post("/api/v1/customers",
                           Json{{"name", "Customer 401"}, {"phones", {plantedPhone(401)}}}.dump());
  EXPECT_EQ(refused.status, 503) << refused.body;

  edge_->stop(1s);
  for (const auto& value : {phone, plantedId(400), plantedPhone(401)}) {
    EXPECT_THAT(filesContaining(edgeDatabaseDir(), value), ::testing::IsEmpty()) << value;
    EXPECT_THAT(filesContaining(edge_nats_->dir(), value), ::testing::IsEmpty()) << value;
  }
}

/** Call events of edge call `call_id` as the edge's call control appends them. */
std::vector<call::CallEvent> edgeCall(const std::string& call_id, const std::string& caller,
                                      std::int64_t at_ms) {
  using T = call::CallEventType;
  std::vector<call::CallEvent> events;
  auto add = [&](T type) -> call::CallEvent& {
    call::CallEvent& e = events.emplace_back();
    e.type = type;
    e.call_id = call_id;
    e.at_ms = at_ms + static_cast<std::int64_t>(events.size()) * 10;
    e.caller = caller;
    e.dialed = "4008001000";
    e.entry_point_id = "ep_overflow";
    return e;
  };
  add(T::Created);
  add(T::Ringing).target = "queue:q_overflow";
  add(T::Answered).agent_id = "ag_cloud_7";
  auto& dtmf = add(T::Dtmf);
  dtmf.detail = "5";
  dtmf.cause = "rfc4733";
  add(T::RecordingStarted).detail = "rec/" + call_id + "\\part\n1.wav";  // escapes cross intact
  auto& ended = add(T::Ended);
  ended.cause = "caller_hangup";
  ended.quality = call::CallQuality{4.12, 0.25, 3.5, 41.0};
  return events;
}

class HybridCallRecordTest : public HybridSyncTest {
 protected:
  /** Gives the edge the core's token key (as `kefu keys export-token` does) and restarts it, so it
   * recognises callers by token; opens the edge's store as its site does (residency, outbox). */
  void SetUp() override {
    HybridSyncTest::SetUp();
    if (HasFatalFailure()) {
      return;
    }
    ASSERT_TRUE(eventually([&] { return syncStatus(coreClient())["link"] == "up"; }));
    auto exported =
        runKefuTool({"keys", "export-token", "--privacy-key-file", core_config_.privacy.key_file,
                     "--out", edge_config_.privacy.key_file, "--log-level", "warn"});
    ASSERT_EQ(exported.first, 0) << exported.second;
    edge_->stop(1s);
    edge_ = startSite(edge_config_);
    ASSERT_NE(edge_, nullptr);
    edge_token_ = login(*edge_);
    auto options = server::privacyStoreOptions(edge_config_);
    ASSERT_TRUE(options.ok()) << options.error().message;
    ASSERT_NE(options->tokenizer, nullptr);
    auto opened = store::openStore(edge_config_.storage.url, *options);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    edge_store_ = std::move(opened).value();
    auto core_options = server::privacyStoreOptions(core_config_);
    ASSERT_TRUE(core_options.ok());
    core_tokenizer_ = core_options->tokenizer;
  }

  void TearDown() override {
    edge_store_.reset();
    HybridSyncTest::TearDown();
  }

  /** Appends `events` through the edge's call record repository. */
  void appendOnEdge(const std::vector<call::CallEvent>& events) {
    for (const auto& e : events) {
      auto appended = edge_store_->callRecords().append(e);
      ASSERT_TRUE(appended.ok()) << appended.error().message;
    }
  }

  /** @return the core's history of call `id` (GET /api/v1/calls/{id}/events). */
  Json coreEvents(const std::string& id) {
    return Json::parse(coreClient().get("/api/v1/calls/" + id + "/events").body);
  }

  static std::vector<std::string> typesOf(const Json& list) {
    std::vector<std::string> out;
    for (const auto& e : list["items"]) {
      out.push_back(e.value("type", ""));
    }
    return out;
  }

  static std::vector<std::string> typesOf(const std::vector<call::CallEvent>& events) {
    std::vector<std::string> out;
    for (const auto& e : events) {
      out.emplace_back(call::toString(e.type));
    }
    return out;
  }

  std::string tokenOf(const std::string& phone) { return *core_tokenizer_->phoneToken(phone); }

  /** @return the kefu binary's exit code and output (runKefu, declared further down). */
  static std::pair<int, std::string> runKefuTool(const std::vector<std::string>& args);

  store::StorePtr edge_store_;
  privacy::TokenizerPtr core_tokenizer_;
};

/** @return the exit code and output of the kefu binary run with `args`. */
std::pair<int, std::string> runKefu(const std::vector<std::string>& args) {
  std::string command = std::string("'") + KEFU_BINARY + "'";
  for (const auto& arg : args) {
    command += " '" + arg + "'";
  }
  std::string output;
  FILE* pipe = ::popen((command + " 2>&1 </dev/null").c_str(), "r");
  std::array<char, 4096> buffer{};
  while (pipe != nullptr && std::fread(buffer.data(), 1, 1, pipe) == 1) {
    output += buffer[0];
  }
  int status = pipe == nullptr ? -1 : ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

std::pair<int, std::string> HybridCallRecordTest::runKefuTool(
    const std::vector<std::string>& args) {
  return runKefu(args);
}

TEST_F(HybridCallRecordTest, EdgeCallRecordsReachTheCoreWithTheCallerAsATokenOnly) {
  const std::string phone = plantedPhone(500);
  const auto first = edgeCall("call_edge_1", phone, 1'700'000'000'000);
  const auto second = edgeCall("call_edge_2", plantedPhone(501), 1'700'000'100'000);
  appendOnEdge(first);
  appendOnEdge(second);
  const std::size_t total = first.size() + second.size();

  ASSERT_TRUE(eventually([&] {
    return coreEvents("call_edge_1")["items"].size() == first.size() &&
           coreEvents("call_edge_2")["items"].size() == second.size();
  })) << coreEvents("call_edge_1").dump()
      << "\ncore: " << syncStatus(coreClient()).dump()
      << "\nedge: " << syncStatus(edgeClient()).dump();

  // The core's history holds the edge's calls in order, every operational field as the edge had
  // it, and the caller only as its token: the core cannot even open a number it never received.
  const Json history = coreEvents("call_edge_1");
  EXPECT_EQ(typesOf(history), typesOf(first));
  for (const auto& e : history["items"]) {
    EXPECT_EQ(e["caller"], tokenOf(phone)) << e.dump();
    EXPECT_EQ(e["dialed"], "4008001000");
  }
  const Json& answered = history["items"][2];
  EXPECT_EQ(answered["agent_id"], "ag_cloud_7");
  EXPECT_EQ(history["items"][1]["target"], "queue:q_overflow");
  EXPECT_EQ(history["items"][3]["detail"], "5");
  EXPECT_EQ(history["items"][4]["detail"], first[4].detail);
  const Json& ended = history["items"][5];
  EXPECT_EQ(ended["cause"], "caller_hangup");
  EXPECT_DOUBLE_EQ(ended["quality"]["mos"].get<double>(), 4.12);
  EXPECT_DOUBLE_EQ(ended["quality"]["loss_percent"].get<double>(), 0.25);
  EXPECT_DOUBLE_EQ(ended["quality"]["jitter_ms"].get<double>(), 3.5);
  EXPECT_THAT(history.dump(), ::testing::Not(HasSubstr(phone)));
  // The edge shows the same history, with the same token in place of the number.
  EXPECT_EQ(Json::parse(edgeClient().get("/api/v1/calls/call_edge_1/events").body)["items"],
            history["items"]);

  // Every event applied once; the edge's outbox empties on the core's acknowledgement.
  EXPECT_TRUE(eventually([&] { return syncStatus(edgeClient()).value("backlog", -1) == 0; }))
      << syncStatus(edgeClient()).dump();
  EXPECT_EQ(syncStatus(coreClient())["applied"], static_cast<int>(total));
  EXPECT_EQ(syncStatus(coreClient())["rejected"], 0);

  // A duplicate delivery (the edge's stream replayed into itself under new message ids, as a
  // resend after a lost acknowledgement does) is skipped, not applied again.
  natsConnection* nc = nullptr;
  ASSERT_EQ(natsConnection_ConnectTo(&nc, edge_nats_->clientUrl().c_str()), NATS_OK);
  jsCtx* js = nullptr;
  ASSERT_EQ(natsConnection_JetStream(&js, nc, nullptr), NATS_OK);
  for (std::uint64_t seq = 1; seq <= 3; ++seq) {
    natsMsg* stored = nullptr;
    ASSERT_EQ(js_GetMsg(&stored, js, "KEFU_OUT_edge", seq, nullptr, nullptr), NATS_OK);
    ASSERT_EQ(js_Publish(nullptr, js, "kefu.out.edge", natsMsg_GetData(stored),
                         natsMsg_GetDataLength(stored), nullptr, nullptr),
              NATS_OK);
    natsMsg_Destroy(stored);
  }
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  EXPECT_TRUE(eventually([&] { return syncStatus(coreClient()).value("duplicates", 0) >= 3; }))
      << syncStatus(coreClient()).dump();
  EXPECT_EQ(coreEvents("call_edge_1")["items"].size(), first.size());
  EXPECT_EQ(syncStatus(coreClient())["applied"], static_cast<int>(total));

  // `kefu sync verify` compares the edge's call records with the core's copies of them.
  edge_->stop(1s);
  auto verified =
      runKefu({"sync", "verify", "--storage-url", core_config_.storage.url, "--privacy-key-file",
               core_config_.privacy.key_file, "--site-role", "core", "--peer-storage-url",
               edge_config_.storage.url, "--log-level", "warn"});
  EXPECT_EQ(verified.first, 0) << verified.second;
  EXPECT_THAT(verified.second, HasSubstr("2 entities, no difference"));

  // The planted numbers are nowhere on the edge (its database holds the token, its outbox and
  // stream the token) nor in the core's nats-server.
  edge_store_.reset();
  for (const auto& value : {phone, plantedPhone(501)}) {
    EXPECT_THAT(filesContaining(edgeDatabaseDir(), value), ::testing::IsEmpty()) << value;
    EXPECT_THAT(filesContaining(edge_nats_->dir(), value), ::testing::IsEmpty()) << value;
    EXPECT_THAT(filesContaining(core_nats_->dir(), value), ::testing::IsEmpty()) << value;
  }
  EXPECT_THAT(filesContaining(edge_nats_->dir(), tokenOf(phone)),
              ::testing::Not(::testing::IsEmpty()));
}

TEST_F(HybridCallRecordTest, WithTheLinkCutCallRecordsWaitInTheOutboxAndArriveOnceInOrder) {
  const auto before = edgeCall("call_cut_0", plantedPhone(600), 1'700'000'000'000);
  appendOnEdge({before.begin(), before.begin() + 2});  // its first two events cross at once
  ASSERT_TRUE(eventually([&] { return coreEvents("call_cut_0")["items"].size() == 2; }));
  ASSERT_TRUE(eventually([&] { return syncStatus(edgeClient()).value("backlog", -1) == 0; }));

  edge_nats_->kill();
  ASSERT_TRUE(eventually([&] { return syncStatus(edgeClient())["link"] == "down"; }));
  // The edge keeps taking calls: the rest of the first call and three new ones, interleaved.
  std::vector<std::vector<call::CallEvent>> calls;
  for (int i = 1; i <= 3; ++i) {
    calls.push_back(edgeCall("call_cut_" + std::to_string(i), plantedPhone(600 + i),
                             1'700'000'000'000 + i * 1000));
  }
  std::size_t queued = before.size() - 2;
  appendOnEdge({before.begin() + 2, before.end()});
  for (std::size_t k = 0; k < calls[0].size(); ++k) {
    for (const auto& c : calls) {
      appendOnEdge({c[k]});
      ++queued;
    }
  }
  EXPECT_EQ(syncStatus(edgeClient())["backlog"], static_cast<int>(queued));
  EXPECT_EQ(coreEvents("call_cut_0")["items"].size(), 2u);
  EXPECT_EQ(coreEvents("call_cut_1")["items"].size(), 0u);

  ASSERT_TRUE(edge_nats_->restart());
  EXPECT_TRUE(eventually([&] { return syncStatus(edgeClient()).value("backlog", -1) == 0; }, 30s))
      << syncStatus(edgeClient()).dump() << "\n"
      << syncStatus(coreClient()).dump();
  // Exactly once, in order per call.
  EXPECT_EQ(typesOf(coreEvents("call_cut_0")), typesOf(before));
  for (std::size_t i = 0; i < calls.size(); ++i) {
    EXPECT_EQ(typesOf(coreEvents("call_cut_" + std::to_string(i + 1))), typesOf(calls[i])) << i;
  }
  EXPECT_EQ(syncStatus(coreClient())["applied"], static_cast<int>(queued + 2));
  EXPECT_EQ(syncStatus(coreClient())["rejected"], 0);
}

TEST_F(HybridCallRecordTest, ForgedCallEventsAreRejectedByOwnership) {
  appendOnEdge(edgeCall("call_real", plantedPhone(700), 1'700'000'000'000));
  ASSERT_TRUE(eventually([&] { return coreEvents("call_real")["items"].size() == 6; }));
  auto publish = [](const std::string& url, const char* subject, const sync::LinkMessage& m) {
    natsConnection* nc = nullptr;
    ASSERT_EQ(natsConnection_ConnectTo(&nc, url.c_str()), NATS_OK);
    jsCtx* js = nullptr;
    ASSERT_EQ(natsConnection_JetStream(&js, nc, nullptr), NATS_OK);
    const std::string bytes = sync::encodeLinkMessage(m);
    EXPECT_EQ(js_Publish(nullptr, js, subject, bytes.data(), static_cast<int>(bytes.size()),
                         nullptr, nullptr),
              NATS_OK);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
  };
  const std::string payload = "n=0\ntype=created\nat_ms=1\ncaller_token=tk_ph_forged";
  // From the core's side to the edge: the edge owns its call records, the core may not write them.
  publish(core_nats_->clientUrl(), "kefu.out.core",
          {"core", 900001, "call_event", "call_forged", "upsert", payload, 1, 0});
  EXPECT_TRUE(eventually([&] { return syncStatus(edgeClient()).value("rejected", 0) == 1; }))
      << syncStatus(edgeClient()).dump();
  EXPECT_EQ(edgeClient().get("/api/v1/calls/call_forged/events").status, 404);
  // Into the edge's stream, claiming to be the core's own (and a customer change from the edge):
  // the core refuses both.
  publish(edge_nats_->clientUrl(), "kefu.out.edge",
          {"core", 900002, "call_event", "call_forged", "upsert", payload, 1, 0});
  publish(edge_nats_->clientUrl(), "kefu.out.edge",
          {"edge", 900003, "customer", "cu_forged", "upsert", "created_at=1\nupdated_at=1", 1, 0});
  EXPECT_TRUE(eventually([&] { return syncStatus(coreClient()).value("rejected", 0) == 2; }))
      << syncStatus(coreClient()).dump();
  EXPECT_EQ(coreClient().get("/api/v1/calls/call_forged/events").status, 404);
  EXPECT_EQ(coreClient().get("/api/v1/customers/cu_forged").status, 404);
  // The link goes on: a real event still crosses.
  appendOnEdge(edgeCall("call_after", plantedPhone(701), 1'700'000'100'000));
  EXPECT_TRUE(eventually([&] { return coreEvents("call_after")["items"].size() == 6; }));
}

// The core's side of call records without the link: whatever order and how often the events of
// a call are delivered (a resend gives a change a new outbox number), the core appends each once
// and in the order the edge took them, and refuses anything but the link form.
TEST(HybridCallRecordApplyTest, TheCoreAppendsEachCallEventOnceAndInOrderWhateverTheDelivery) {
  store::StoreOptions edge_options;
  edge_options.residency = {privacy::SiteKind::Edge, {}};
  edge_options.outbox = true;
  auto edge = store::openStore(freshStorageUrl(Backend::Sqlite), edge_options);
  ASSERT_TRUE(edge.ok() && (*edge)->migrate().ok());
  store::StoreOptions core_options;
  core_options.residency = {privacy::SiteKind::Core, {}};
  core_options.outbox = true;
  auto core = store::openStore(freshStorageUrl(Backend::Postgres), core_options);
  ASSERT_TRUE(core.ok() && (*core)->migrate().ok());

  const auto events = edgeCall("call_order", "", 1'700'000'000'000);
  for (const auto& e : events) {
    ASSERT_TRUE((*edge)->callRecords().append(e).ok());
  }
  auto outbox = (*edge)->replication().pendingOutbox(0, 100);
  ASSERT_TRUE(outbox.ok());
  ASSERT_EQ(outbox->size(), events.size());
  auto change = [&](std::size_t i, std::int64_t seq) {
    const auto& e = (*outbox)[i];
    EXPECT_EQ(e.entity_type, "call_event");
    EXPECT_EQ(e.entity_id, "call_order");
    return store::InboundChange{"edge", seq, e.entity_type, e.entity_id, e.op, e.payload};
  };
  auto& inbox = (*core)->replication();
  auto early = inbox.applyInbound(change(1, (*outbox)[1].seq));
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.error().code, ErrorCode::Conflict);  // waits for event 0
  EXPECT_EQ(*inbox.applyInbound(change(0, (*outbox)[0].seq)), true);
  EXPECT_EQ(*inbox.applyInbound(change(0, (*outbox)[0].seq)), false);  // the same change again
  EXPECT_EQ(*inbox.applyInbound(change(1, (*outbox)[1].seq)), true);
  EXPECT_EQ(*inbox.applyInbound(change(1, (*outbox)[1].seq)), false);  // resent
  for (std::size_t i = 2; i < events.size(); ++i) {
    EXPECT_EQ(*inbox.applyInbound(change(i, (*outbox)[i].seq)), true) << i;
  }
  auto held = (*core)->callRecords().eventsOf("call_order");
  ASSERT_TRUE(held.ok());
  auto stored = (*edge)->callRecords().eventsOf("call_order");
  ASSERT_EQ(held->size(), events.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ((*held)[i].type, events[i].type) << i;
    EXPECT_EQ((*held)[i].detail, events[i].detail) << i;
    EXPECT_EQ((*held)[i].target, events[i].target) << i;
    EXPECT_EQ((*held)[i].quality.has_value(), events[i].quality.has_value()) << i;
  }
  EXPECT_DOUBLE_EQ((*held)[5].quality->mos, 4.12);
  EXPECT_EQ((*held)[5].quality->round_trip_ms, 41.0);

  // A clear caller is not part of the link form: refused, not stored.
  auto forged = change(0, 5000);
  forged.entity_id = "call_forged";
  forged.payload += "\ncaller=13912341000";
  auto refused = inbox.applyInbound(forged);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::InvalidArgument);
  EXPECT_TRUE((*core)->callRecords().eventsOf("call_forged")->empty());

  // Checksums: the edge's own call equals the core's copy of it.
  auto edge_sums = (*edge)->replication().checksums();
  auto core_sums = (*core)->replication().checksums();
  ASSERT_TRUE(edge_sums.ok() && core_sums.ok());
  ASSERT_EQ(edge_sums->size(), 1u);
  ASSERT_EQ(core_sums->size(), 1u);
  EXPECT_EQ((*edge_sums)[0].entity_type, "call_event:own");
  EXPECT_EQ((*core_sums)[0].entity_type, "call_event");
  EXPECT_EQ((*edge_sums)[0].checksum, (*core_sums)[0].checksum);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->size(), events.size());
}

TEST_F(HybridSyncTest, ChaosCutKillAndRestartLoseNothingAndApplyNothingTwice) {
  // Changes are written straight through the core's store (the API adds nothing the link sees),
  // so the test makes thousands in seconds. Meanwhile the link is cut, a nats-server is killed and
  // the edge site is killed and restarted.
  constexpr int N = 3000;
  auto options = server::privacyStoreOptions(core_config_);
  ASSERT_TRUE(options.ok());
  auto writer_store = store::openStore(core_config_.storage.url, *options);
  ASSERT_TRUE(writer_store.ok());
  std::atomic<int> written{0};
  std::thread writer([&] {
    for (int i = 0; i < N; ++i) {
      crm::Customer c{"cu_chaos_" + std::to_string(i),
                      "Chaos " + std::to_string(i),
                      {plantedPhone(i)},
                      plantedId(i),
                      {},
                      1000 + i,
                      1000 + i};
      ASSERT_TRUE((*writer_store)->customers().create(c).ok());
      if (i % 10 == 9) {  // every tenth change rewrites an earlier customer: order per entity
        c = *(*writer_store)->customers().get("cu_chaos_" + std::to_string(i / 2));
        c.phones = {plantedPhone(N + i)};
        c.updated_at_ms = 5000 + i;
        ASSERT_TRUE((*writer_store)->customers().update(c).ok());
      }
      written = i + 1;
    }
  });
  // A failed assertion below returns early: the writer (which ends on its own) is joined, not
  // abandoned.
  struct Joiner {
    std::thread& thread;
    ~Joiner() {
      if (thread.joinable()) {
        thread.join();
      }
    }
  } joiner{writer};
  auto when = [&](int count) {
    while (written < count) {
      std::this_thread::sleep_for(5ms);
    }
  };
  when(N / 5);
  edge_nats_->kill();  // the link is cut: the core keeps writing into its outbox
  std::this_thread::sleep_for(1s);
  ASSERT_TRUE(edge_nats_->restart());
  when(2 * N / 5);
  core_nats_->kill();  // the core's own nats-server dies
  std::this_thread::sleep_for(500ms);
  ASSERT_TRUE(core_nats_->restart());
  when(3 * N / 5);
  edge_->stop(0ms);  // the edge site dies mid-stream and comes back
  edge_.reset();
  std::this_thread::sleep_for(300ms);
  edge_ = startSite(edge_config_);
  ASSERT_NE(edge_, nullptr);
  writer.join();

  auto backlog = [&] { return (*writer_store)->replication().outboxStats()->backlog; };
  ASSERT_TRUE(eventually([&] { return backlog() == 0; }, 45s))
      << backlog() << " left; core " << syncStatus(coreClient()).dump() << "\nedge "
      << syncStatus(edgeClient()).dump();
  auto edge_store = store::openStore(edge_config_.storage.url);
  ASSERT_TRUE(edge_store.ok());
  auto core_sums = (*writer_store)->replication().checksums();
  auto edge_sums = (*edge_store)->replication().checksums();
  ASSERT_TRUE(core_sums.ok() && edge_sums.ok());
  EXPECT_EQ(core_sums->size(), static_cast<std::size_t>(N));
  EXPECT_TRUE(*core_sums == *edge_sums);
  auto verified =
      runKefu({"sync", "verify", "--storage-url", core_config_.storage.url, "--privacy-key-file",
               core_config_.privacy.key_file, "--site-role", "core", "--peer-storage-url",
               edge_config_.storage.url, "--log-level", "warn"});
  EXPECT_EQ(verified.first, 0) << verified.second;
  EXPECT_THAT(verified.second, HasSubstr("3000 entities, no difference"));
  // Nothing applied twice: each entity's inbox position is its last change, and a duplicate
  // delivery (which the chaos makes likely) was skipped, not applied.
  EXPECT_EQ(Json::parse(edgeClient().get("/api/v1/sync/status").body).value("rejected", -1), 0);
}

}  // namespace
}  // namespace kefu::test
