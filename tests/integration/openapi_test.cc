// docs/api/openapi.yaml against the routes a real site serves and the bodies it answers with:
// a route added, removed or made public without the document following fails here.

#include <gtest/gtest.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <filesystem>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "call/call_record.h"
#include "server/config.h"
#include "server/site.h"
#include "store/store.h"
#include "support/http_client.h"

namespace kefu::test {
namespace {

using Json = nlohmann::json;

constexpr const char* OpenApiPath = KEFU_SOURCE_DIR "/docs/api/openapi.yaml";
constexpr const char* AdminPassword = "admin-password-1";
const std::set<std::string> HttpMethods{"get",   "put",  "post",    "delete",
                                        "patch", "head", "options", "trace"};
const std::set<std::string> KnownRoles{"admin", "supervisor", "agent", "auditor"};
constexpr const char* StoredCallId = "call_01JD8Z3Q4M5N6P7R8S9T0VWXYZ";
constexpr const char* SipUnavailableRef = "#/components/responses/SipUnavailable";

/** One operation of the document: `GET /api/v1/agents` and its YAML. */
struct Operation {
  std::string method;  // upper case, as the router has it
  std::string path;
  YAML::Node node;
};

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

std::string join(const std::set<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    out += "\n  " + item;
  }
  return out.empty() ? " (none)" : out;
}

/**
 * @return the node a local `$ref` ("#/components/schemas/Agent") points to, or nullopt. Uses
 * reset() to move along: assigning one YAML::Node to another would overwrite the document.
 */
std::optional<YAML::Node> followPointer(const YAML::Node& doc, const std::string& ref) {
  if (!ref.starts_with("#/")) {
    return std::nullopt;
  }
  YAML::Node current;
  current.reset(doc);
  std::size_t start = 2;
  while (start <= ref.size()) {
    auto end = std::min(ref.find('/', start), ref.size());
    std::string segment = ref.substr(start, end - start);
    for (std::size_t pos; (pos = segment.find("~1")) != std::string::npos;) {
      segment.replace(pos, 2, "/");
    }
    for (std::size_t pos; (pos = segment.find("~0")) != std::string::npos;) {
      segment.replace(pos, 2, "~");
    }
    const YAML::Node& parent = current;
    if (!parent.IsMap() || !parent[segment]) {
      return std::nullopt;
    }
    YAML::Node next = parent[segment];
    current.reset(next);
    start = end + 1;
  }
  return current;
}

/** @return `node` with `$ref`s followed (up to a depth, against cycles), or nullopt when one
 * dangles. */
std::optional<YAML::Node> resolve(const YAML::Node& doc, const YAML::Node& node) {
  YAML::Node current;
  current.reset(node);
  for (int depth = 0; depth < 16; ++depth) {
    const YAML::Node& c = current;
    if (!c.IsMap() || !c["$ref"]) {
      return current;
    }
    auto target = followPointer(doc, c["$ref"].as<std::string>());
    if (!target) {
      return std::nullopt;
    }
    current.reset(*target);
  }
  return std::nullopt;
}

/** Appends every `$ref` under `node` that does not resolve to `dangling`, with where it is. */
void findDanglingRefs(const YAML::Node& doc, const YAML::Node& node, const std::string& where,
                      std::set<std::string>& dangling) {
  if (node.IsMap()) {
    for (const auto& entry : node) {
      auto key = entry.first.as<std::string>();
      if (key == "$ref") {
        auto ref = entry.second.as<std::string>();
        if (!followPointer(doc, ref)) {
          dangling.insert(where + ": " + ref);
        }
      } else {
        findDanglingRefs(doc, entry.second, where + "/" + key, dangling);
      }
    }
  } else if (node.IsSequence()) {
    for (std::size_t i = 0; i < node.size(); ++i) {
      findDanglingRefs(doc, node[i], where + "/" + std::to_string(i), dangling);
    }
  }
}

/**
 * @return the properties a response with `schema` carries: those of the schema and of its allOf
 * parts, without writeOnly ones (never returned).
 */
std::set<std::string> responseProperties(const YAML::Node& doc, const YAML::Node& schema) {
  std::set<std::string> out;
  auto resolved = resolve(doc, schema);
  if (!resolved) {
    ADD_FAILURE() << "dangling $ref in a response schema";
    return out;
  }
  const YAML::Node& s = *resolved;
  if (s["properties"]) {
    for (const auto& property : s["properties"]) {
      auto definition = resolve(doc, property.second);
      bool write_only =
          definition && (*definition)["writeOnly"] && (*definition)["writeOnly"].as<bool>();
      if (!write_only) {
        out.insert(property.first.as<std::string>());
      }
    }
  }
  if (s["allOf"]) {
    for (const auto& part : s["allOf"]) {
      auto more = responseProperties(doc, part);
      out.insert(more.begin(), more.end());
    }
  }
  return out;
}

std::set<std::string> keysOf(const Json& object) {
  std::set<std::string> out;
  for (auto it = object.begin(); it != object.end(); ++it) {
    out.insert(it.key());
  }
  return out;
}

class OpenApiTest : public testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = std::filesystem::temp_directory_path() / ("kefu-openapi-" + std::to_string(::getpid()) +
                                                     "-" + std::to_string(counter.fetch_add(1)));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);

    try {
      doc_ = YAML::LoadFile(OpenApiPath);
    } catch (const YAML::Exception& e) {
      FAIL() << OpenApiPath << ": " << e.what();
    }
    ASSERT_TRUE(doc_["paths"] && doc_["paths"].IsMap()) << OpenApiPath << ": no paths";
    for (const auto& path : doc_["paths"]) {
      for (const auto& entry : path.second) {
        auto key = entry.first.as<std::string>();
        if (HttpMethods.contains(key)) {
          operations_.push_back({upper(key), path.first.as<std::string>(), entry.second});
        }
      }
    }

    server::Config config;
    config.http.listen = {"127.0.0.1", 0};
    config.storage.url = "sqlite:" + (dir_ / "k.db").string();
    config.auth.admin_password = AdminPassword;
    config.log.level = server::LogLevel::Warn;
    config.sip.enabled = false;
    // A stored call, so that its events can be read back: this site has no SIP to make calls.
    {
      auto opened = store::openStore(config.storage.url);
      ASSERT_TRUE(opened.ok()) << opened.error().message;
      auto store = std::move(opened).value();
      ASSERT_TRUE(store->migrate().ok());
      call::CallEvent created;
      created.type = call::CallEventType::Created;
      created.at_ms = 1'795'000'000'000;
      created.call_id = StoredCallId;
      created.caller = "13812345678";
      created.dialed = "4008001234";
      ASSERT_TRUE(store->callRecords().append(created).ok());
    }
    auto site = server::Site::start(config);
    ASSERT_TRUE(site.ok()) << site.error().message;
    site_ = std::move(site).value();
  }

  void TearDown() override {
    if (site_) {
      site_->stop(std::chrono::seconds(5));
      site_.reset();
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  /** @return whether `op` needs no token: its own `security: []`, else the document's default. */
  bool isPublic(const Operation& op) const {
    const YAML::Node& node = op.node;
    const YAML::Node& security = node["security"] ? node["security"] : doc_["security"];
    return !security || (security.IsSequence() && security.size() == 0);
  }

  const Operation* find(const std::string& method, const std::string& path) const {
    for (const auto& op : operations_) {
      if (op.method == method && op.path == path) {
        return &op;
      }
    }
    return nullptr;
  }

  std::filesystem::path dir_;
  YAML::Node doc_;
  std::vector<Operation> operations_;
  std::unique_ptr<server::Site> site_;
};

TEST_F(OpenApiTest, DocumentsExactlyTheServedRoutes) {
  std::set<std::string> served;
  std::set<std::string> documented;
  for (const auto& route : site_->routes()) {
    served.insert(route.method + " " + route.pattern);
  }
  for (const auto& op : operations_) {
    documented.insert(op.method + " " + op.path);
  }
  std::set<std::string> missing;
  std::set<std::string> extra;
  std::set_difference(served.begin(), served.end(), documented.begin(), documented.end(),
                      std::inserter(missing, missing.end()));
  std::set_difference(documented.begin(), documented.end(), served.begin(), served.end(),
                      std::inserter(extra, extra.end()));
  EXPECT_TRUE(missing.empty() && extra.empty())
      << "served but not in " << OpenApiPath << ":" << join(missing)
      << "\nin the document but not served:" << join(extra);

  for (const auto& route : site_->routes()) {
    const auto* op = find(route.method, route.pattern);
    if (op == nullptr) {
      continue;  // reported above
    }
    EXPECT_EQ(isPublic(*op), route.is_public)
        << route.method << " " << route.pattern << ": the site serves it "
        << (route.is_public ? "without a token" : "with a token")
        << "; the document's `security` says otherwise";
  }
}

TEST_F(OpenApiTest, EveryOperationListsRolesErrorsAndKnownSchemes) {
  const YAML::Node& doc = doc_;
  ASSERT_TRUE(doc["components"] && doc["components"].IsMap()) << "no components";
  const YAML::Node& schemes = doc["components"]["securitySchemes"];
  for (const auto& op : operations_) {
    const std::string name = op.method + " " + op.path;
    const YAML::Node& node = op.node;

    const YAML::Node& roles = node["x-roles"];
    ASSERT_TRUE(roles && roles.IsSequence()) << name << ": x-roles must be a list";
    EXPECT_EQ(roles.size() == 0, isPublic(op))
        << name << ": x-roles must be empty exactly when the operation is public";
    for (const auto& role : roles) {
      EXPECT_TRUE(KnownRoles.contains(role.as<std::string>()))
          << name << ": unknown role in x-roles: " << role.as<std::string>();
    }

    if (node["security"]) {
      for (const auto& requirement : node["security"]) {
        for (const auto& scheme : requirement) {
          EXPECT_TRUE(schemes && schemes[scheme.first.as<std::string>()])
              << name << ": unknown security scheme " << scheme.first.as<std::string>();
        }
      }
    }

    const YAML::Node& responses = node["responses"];
    ASSERT_TRUE(responses && responses.IsMap()) << name << ": no responses";
    bool has_client_error = false;
    for (const auto& response : responses) {
      auto status = response.first.as<std::string>();
      has_client_error = has_client_error || (status.size() == 3 && status[0] == '4');
    }
    EXPECT_TRUE(has_client_error) << name << ": documents no 4xx response";
  }

  std::set<std::string> dangling;
  findDanglingRefs(doc, doc, "#", dangling);
  EXPECT_TRUE(dangling.empty()) << "$refs that point nowhere:" << join(dangling);
}

TEST_F(OpenApiTest, GetResponsesCarryTheDocumentedFields) {
  HttpClient client(site_->httpPort());
  auto login = client.post("/api/v1/auth/login",
                           Json{{"username", "admin"}, {"password", AdminPassword}}.dump());
  ASSERT_EQ(login.status, 200) << login.body;
  client.setToken(Json::parse(login.body).at("token").get<std::string>());

  // One of each, so that every collection has an item whose fields can be compared.
  auto skill =
      client.post("/api/v1/skills", Json{{"name", "billing"}, {"description", "d"}}.dump());
  ASSERT_EQ(skill.status, 201) << skill.body;
  auto skill_id = Json::parse(skill.body).at("id").get<std::string>();
  auto agent = client.post("/api/v1/agents",
                           Json{{"name", "Agent 1001"},
                                {"extension", "1001"},
                                {"sip_password", "secret-1001"},
                                {"skills", Json::array({{{"skill_id", skill_id}, {"level", 5}}})}}
                               .dump());
  ASSERT_EQ(agent.status, 201) << agent.body;
  auto queue = client.post(
      "/api/v1/queues",
      Json{{"name", "support"},
           {"strategy", "round_robin"},
           {"required_skills", Json::array({{{"skill_id", skill_id}, {"min_level", 3}}})}}
          .dump());
  ASSERT_EQ(queue.status, 201) << queue.body;
  auto customer = client.post("/api/v1/customers",
                              Json{{"name", "Zhang San"}, {"phones", {"13812345678"}}}.dump());
  ASSERT_EQ(customer.status, 201) << customer.body;  // also fills the audit trail
  auto queue_id = Json::parse(queue.body).at("id").get<std::string>();
  auto entry_point = client.post(
      "/api/v1/entry-points",
      Json{{"number", "4008001234"}, {"target", {{"kind", "queue"}, {"id", queue_id}}}}.dump());
  ASSERT_EQ(entry_point.status, 201) << entry_point.body;
  auto flow =
      client.request("PUT", "/api/v1/flows/greeting",
                     "version: 1\nname: greeting\nstart: bye\nnodes:\n  bye:\n    type: hangup\n",
                     "application/yaml");
  ASSERT_EQ(flow.status, 201) << flow.body;

  // GET routes answering JSON with 200, collections first so their ids can fill `{id}`.
  std::vector<const Operation*> gets;
  for (const auto& op : operations_) {
    const YAML::Node& node = op.node;
    const YAML::Node& ok = node["responses"]["200"];
    if (op.method != "GET" || !ok) {
      continue;  // e.g. the event stream, which answers 101
    }
    auto response = resolve(doc_, ok);
    ASSERT_TRUE(response) << op.path << ": dangling $ref";
    const YAML::Node& r = *response;
    if (r["content"] && r["content"]["application/json"]) {
      gets.push_back(&op);
    }
  }
  std::stable_partition(gets.begin(), gets.end(), [](const Operation* op) {
    return op->path.find('{') == std::string::npos;
  });

  std::map<std::string, std::string> first_id;  // collection path -> the id of its first item
  first_id["/api/v1/calls"] = StoredCallId;     // stored in SetUp; a site without SIP lists none
  int collections = 0;
  int without_sip = 0;
  int items = 0;
  for (const auto* op : gets) {
    std::string path = op->path;
    if (auto brace = path.find("/{id}"); brace != std::string::npos) {
      auto collection = path.substr(0, brace);
      ASSERT_TRUE(first_id.contains(collection)) << op->path << ": no collection item to read";
      path = collection + "/" + first_id[collection] + path.substr(brace + 5);  // "/{id}/state"
    } else {
      ASSERT_EQ(path.find('{'), std::string::npos) << op->path << ": unexpected path parameter";
    }
    SCOPED_TRACE("GET " + path + " (documented as " + op->path + ")");

    auto reply = client.get(path);
    const YAML::Node& sip_only = op->node["responses"]["503"];
    if (sip_only && sip_only["$ref"] && sip_only["$ref"].as<std::string>() == SipUnavailableRef) {
      // Documented as needing SIP: this site must say it has none, and has no body to compare.
      ++without_sip;
      EXPECT_EQ(reply.status, 503) << reply.body;
      auto error = Json::parse(reply.body, nullptr, false);
      EXPECT_TRUE(error.is_object() && error.contains("error") &&
                  error["error"].value("code", "") == "unavailable")
          << reply.body;
      continue;
    }
    ASSERT_EQ(reply.status, 200) << reply.body;
    auto body = Json::parse(reply.body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << "not a JSON object: " << reply.body;

    const YAML::Node& node = op->node;
    auto response = resolve(doc_, node["responses"]["200"]);
    ASSERT_TRUE(response);
    const YAML::Node& r = *response;
    auto schema = resolve(doc_, r["content"]["application/json"]["schema"]);
    ASSERT_TRUE(schema) << "dangling $ref";
    EXPECT_EQ(keysOf(body), responseProperties(doc_, *schema));

    const YAML::Node& s = *schema;
    const YAML::Node& properties = s["properties"];
    if (!properties || !properties["items"]) {
      continue;
    }
    ++collections;
    ASSERT_TRUE(body.contains("items") && body["items"].is_array()) << reply.body;
    ASSERT_FALSE(body["items"].empty()) << "every collection should hold what the test created";
    EXPECT_EQ(body.value("count", -1), static_cast<int>(body["items"].size()));
    first_id[op->path] = body["items"][0].value("id", "");
    auto item_schema = resolve(doc_, properties["items"]);
    ASSERT_TRUE(item_schema) << "dangling $ref";
    const YAML::Node& item_array = *item_schema;
    auto expected = responseProperties(doc_, item_array["items"]);
    for (const auto& item : body["items"]) {
      ++items;
      ASSERT_TRUE(item.is_object()) << item.dump();
      EXPECT_EQ(keysOf(item), expected) << item.dump();
    }
  }
  // Users, skills, agents and queues: a document that lost its collections would pass vacuously.
  EXPECT_GE(collections, 4);
  EXPECT_GE(items, 4);
  // Registrations, calls and one call: the routes a site without SIP answers 503.
  EXPECT_GE(without_sip, 3);
}

}  // namespace
}  // namespace kefu::test
