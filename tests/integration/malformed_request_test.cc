// Hundreds of malformed, truncated and oversized requests: each gets a 4xx JSON error, none a
// 5xx, the server keeps serving and nothing is half-written.

#include <gtest/gtest.h>

#include <random>

#include "support/site_fixture.h"

namespace kefu::test {
namespace {

class MalformedRequestTest : public SiteFixture {
 protected:
  void expectClientError(const HttpReply& reply, const std::string& what) {
    EXPECT_GE(reply.status, 400) << what;
    EXPECT_LT(reply.status, 500) << what << " -> " << reply.body;
    auto json = Json::parse(reply.body, nullptr, false);
    EXPECT_TRUE(json.is_object() && json.contains("error")) << what << " -> " << reply.body;
    ++checked_;
  }
  int checked_ = 0;
};

TEST_P(MalformedRequestTest, BadBodiesGet4xxAndChangeNothing) {
  auto c = client();
  auto skill = c.post("/api/v1/skills", R"({"name":"billing"})");
  ASSERT_EQ(skill.status, 201);
  auto skill_id = body(skill)["id"].get<std::string>();
  Json good{{"name", "Agent"},
            {"extension", "1001"},
            {"sip_password", "secret-1001"},
            {"skills", Json::array({{{"skill_id", skill_id}, {"level", 5}}})}};
  auto text = good.dump();

  // Every truncation of a valid body.
  for (std::size_t n = 0; n < text.size(); ++n) {
    expectClientError(c.post("/api/v1/agents", text.substr(0, n)),
                      "truncated at " + std::to_string(n));
  }
  // Every field with a wrong type, missing, or out of range.
  std::vector<std::pair<std::string, Json>> bad_fields{
      {"name", 42},
      {"name", ""},
      {"name", std::string(300, 'x')},
      {"extension", 1001},
      {"extension", "12a"},
      {"extension", "1"},
      {"extension", Json::array()},
      {"sip_password", "short"},
      {"sip_password", true},
      {"skills", "billing"},
      {"skills", Json::array({1})},
      {"skills", Json::array({{{"skill_id", skill_id}}})},
      {"skills", Json::array({{{"skill_id", skill_id}, {"level", 0}}})},
      {"skills", Json::array({{{"skill_id", skill_id}, {"level", 5.5}}})},
      {"skills", Json::array({{{"skill_id", skill_id}, {"level", "5"}}})},
      {"skills", Json::array({{{"skill_id", skill_id}, {"level", 5}, {"extra", 1}}})},
      {"skills", Json::array({{{"skill_id", skill_id}, {"level", 5}},
                              {{"skill_id", skill_id}, {"level", 6}}})},
      {"extention", "1001"},
      {"user_id", 7}};
  for (const auto& [field, value] : bad_fields) {
    auto body_json = good;
    body_json[field] = value;
    auto reply = c.post("/api/v1/agents", body_json.dump());
    expectClientError(reply, field + "=" + value.dump());
    EXPECT_EQ(reply.status, 400);
    auto named = Json::parse(reply.body, nullptr, false)["error"].value("field", "");
    EXPECT_TRUE(named.starts_with(field)) << field << " named " << named;
  }
  for (const auto& required : {"name", "extension", "sip_password"}) {
    auto body_json = good;
    body_json.erase(required);
    auto reply = c.post("/api/v1/agents", body_json.dump());
    expectClientError(reply, std::string("missing ") + required);
    EXPECT_EQ(Json::parse(reply.body)["error"]["field"], required);
  }
  // Not JSON objects, odd encodings, deep nesting.
  std::vector<std::string> junk{"[]",
                                "null",
                                "42",
                                "\"text\"",
                                "{",
                                "}",
                                "{\"name\":}",
                                "\xff\xfe{}",
                                "{\"name\":\"\xc3\x28\"}",
                                std::string(100000, '['),
                                std::string("{\"name\":\"a\0b\"}", 14),
                                "{\"a\":1,\"a\":2}"};
  for (const auto& j : junk) {
    expectClientError(c.post("/api/v1/agents", j), "junk " + j.substr(0, 20));
  }
  // Random byte flips of the valid body.
  std::mt19937 rng(7);
  for (int i = 0; i < 200; ++i) {
    auto mutated = text;
    for (int k = 0; k < 3; ++k) {
      mutated[rng() % mutated.size()] = static_cast<char>(rng() % 256);
    }
    auto reply = c.post("/api/v1/agents", mutated);
    if (reply.status == 201) {
      // A flip can leave a valid agent (e.g. another name); remove it to keep the count honest.
      c.del("/api/v1/agents/" + body(reply)["id"].get<std::string>());
      continue;
    }
    expectClientError(reply, "mutation " + std::to_string(i));
  }
  // Wrong content type, wrong method, unknown route.
  expectClientError(c.request("POST", "/api/v1/agents", text, "text/plain"), "text/plain");
  EXPECT_EQ(c.request("POST", "/api/v1/agents", text, "text/plain").status, 415);
  auto wrong_method = c.request("PATCH", "/api/v1/agents", text);
  expectClientError(wrong_method, "PATCH");
  EXPECT_EQ(wrong_method.status, 405);
  expectClientError(c.get("/api/v1/nothing"), "unknown route");

  EXPECT_GT(checked_, 300);
  EXPECT_EQ(body(c.get("/api/v1/agents"))["items"].size(), 0u);
  EXPECT_EQ(c.post("/api/v1/agents", text).status, 201);  // still serving
}

TEST_P(MalformedRequestTest, BrokenHttpGets4xxAndTheServerKeepsServing) {
  auto c = client(false);
  std::vector<std::string> broken{
      "GARBAGE\r\n\r\n",
      "GET\r\n\r\n",
      "GET / HTTP/9.9\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nContent-Length: 11\r\n\r\n",
      "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n",
      "GET /healthz HTTP/1.1\r\nBad Header Line\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nHost: x\r\nX: " + std::string(20000, 'a') + "\r\n\r\n",
      "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: "
      "application/json\r\nContent-Length: 2000000\r\n\r\n" +
          std::string(2000000, ' '),
      "GET http://elsewhere/healthz HTTP/1.1\r\nHost: x\r\n\r\n",
  };
  for (const auto& request : broken) {
    auto reply = HttpClient::parse(c.raw(request));
    expectClientError(reply, request.substr(0, 40));
  }
  auto too_big = HttpClient::parse(c.raw(broken[8]));
  EXPECT_EQ(too_big.status, 413);
  auto headers = HttpClient::parse(c.raw(broken[7]));
  EXPECT_EQ(headers.status, 431);
  // A request cut off mid-body: the server waits for the rest, then gives up without a crash.
  auto cut = c.raw(
      "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"user", true);
  EXPECT_TRUE(cut.empty() || HttpClient::parse(cut).status >= 400);
  EXPECT_EQ(c.get("/healthz").status, 200);
}

INSTANTIATE_TEST_SUITE_P(Backends, MalformedRequestTest,
                         testing::Values(Backend::Sqlite, Backend::Postgres), backendName);

}  // namespace
}  // namespace kefu::test
