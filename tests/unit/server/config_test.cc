#include "server/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace kefu::server {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

/** The repository's root, found from this file's path (tests/unit/server/config_test.cc). */
std::filesystem::path sourceRoot() {
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path().parent_path();
}

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

/** A directory of YAML files, removed at the end of the test. */
class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "kefu-config-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path writeYaml(const std::string& text, const std::string& name = "kefu.yaml") {
    auto path = dir_ / name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  /** @return the error message of loading `yaml` (a failure when it loads). */
  std::string yamlError(const std::string& yaml) {
    auto config = loadConfig(writeYaml(yaml), {});
    if (config.ok()) {
      ADD_FAILURE() << "loaded without an error:\n" << yaml;
      return "";
    }
    return config.error().message;
  }

  std::string file() const { return (dir_ / "kefu.yaml").string(); }

  std::filesystem::path dir_;
};

TEST_F(ConfigTest, DefaultsWithoutFileEnvironmentOrFlags) {
  auto config = loadConfig(std::nullopt, {});
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(*config, Config{});
  EXPECT_EQ(config->site.name, "kefu");
  EXPECT_EQ(config->site.role, SiteRole::All);
  EXPECT_EQ(config->http.listen, (HostPort{"127.0.0.1", 8080}));
  EXPECT_EQ(config->http.threads, 2);
  EXPECT_EQ(config->http.max_body_bytes, 1048576u);
  EXPECT_EQ(config->sip.listen, (HostPort{"127.0.0.1", 5060}));
  EXPECT_EQ(config->storage.url, "sqlite:var/kefu.db");
  EXPECT_EQ(config->storage.pool_size, 4);
  EXPECT_EQ(config->log.level, LogLevel::Info);
  EXPECT_FALSE(config->auth.admin_password.has_value());
  EXPECT_EQ(config->auth.token_ttl, 12h);
  EXPECT_EQ(config->events.buffer, 1024u);
  EXPECT_FALSE(config->demo.seed);
}

TEST_F(ConfigTest, ReadsEveryKindOfValueFromNestedYaml) {
  auto config = loadConfig(writeYaml(R"(# a comment
site:
  name: branch-7
  role: edge
http:
  listen: 0.0.0.0:0
  threads: 8
  max_body_bytes: 4096
sip:
  listen: "[::1]:5080"
storage:
  url: postgresql://kefu@db/kefu
  pool_size: 16
log:
  level: warn
auth:
  admin_password: s3cret-pass
  token_ttl: 1h30m
events:
  buffer: 16
demo:
  seed: true
)"),
                           {});
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->site.name, "branch-7");
  EXPECT_EQ(config->site.role, SiteRole::Edge);
  EXPECT_EQ(config->http.listen, (HostPort{"0.0.0.0", 0}));
  EXPECT_EQ(config->http.threads, 8);
  EXPECT_EQ(config->http.max_body_bytes, 4096u);
  EXPECT_EQ(config->sip.listen, (HostPort{"::1", 5080}));
  EXPECT_EQ(config->sip.listen.toString(), "[::1]:5080");
  EXPECT_EQ(config->storage.url, "postgresql://kefu@db/kefu");
  EXPECT_EQ(config->storage.pool_size, 16);
  EXPECT_EQ(config->log.level, LogLevel::Warn);
  EXPECT_EQ(config->auth.admin_password, "s3cret-pass");
  EXPECT_EQ(config->auth.token_ttl, 90min);
  EXPECT_EQ(config->events.buffer, 16u);
  EXPECT_TRUE(config->demo.seed);
}

TEST_F(ConfigTest, EmptyFileOrEmptySectionKeepsDefaults) {
  for (const std::string yaml : {"", "# only a comment\n", "http:\n", "demo: ~\n"}) {
    auto config = loadConfig(writeYaml(yaml), {});
    ASSERT_TRUE(config.ok()) << yaml << ": " << config.error().message;
    EXPECT_EQ(*config, Config{}) << yaml;
  }
}

TEST_F(ConfigTest, EnvironmentOverridesFile) {
  auto path = writeYaml("http:\n  listen: 127.0.0.1:9000\n  threads: 3\n");
  auto config = loadConfig(
      path, {{"KEFU_HTTP_LISTEN", "0.0.0.0:9100"}, {"KEFU_AUTH_ADMIN_PASSWORD", "from-the-env"}});
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->http.listen, (HostPort{"0.0.0.0", 9100}));
  EXPECT_EQ(config->http.threads, 3);  // from the file: no variable for it
  EXPECT_EQ(config->auth.admin_password, "from-the-env");
}

TEST_F(ConfigTest, FlagsOverrideEnvironmentAndFileInOrder) {
  auto path = writeYaml("http:\n  threads: 3\n  max_body_bytes: 2048\nlog:\n  level: debug\n");
  Environment env{{"KEFU_HTTP_THREADS", "4"}, {"KEFU_LOG_LEVEL", "error"}};
  auto config = loadConfig(path, env,
                           {{"--http-threads", "http.threads", "5"},
                            {"--set", "http.threads", "6"},
                            {"--set", "demo.seed", "yes"}});
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->http.threads, 6);             // the last override wins
  EXPECT_EQ(config->log.level, LogLevel::Error);  // environment over file
  EXPECT_EQ(config->http.max_body_bytes, 2048u);  // file over default
  EXPECT_TRUE(config->demo.seed);
}

TEST_F(ConfigTest, EmptyValueUnsetsTheOptionalAdminPassword) {
  auto path = writeYaml("auth:\n  admin_password: long-enough\n");
  auto config = loadConfig(path, {{"KEFU_AUTH_ADMIN_PASSWORD", ""}});
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_FALSE(config->auth.admin_password.has_value());
}

TEST_F(ConfigTest, MisspelledKeyNamesFileLineAndKey) {
  auto path = writeYaml("site:\n  name: kefu\nhttp:\n  threads: 2\n  listne: 127.0.0.1:80\n");
  auto config = loadConfig(path, {});
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().message,
            file() + ":5: http.listne: unknown key (did you mean http.listen?)");
  EXPECT_EQ(config.error().field, "http.listne");
  EXPECT_EQ(config.error().code, ErrorCode::InvalidArgument);
}

TEST_F(ConfigTest, UnknownKeyFarFromAnyNameHasNoSuggestion) {
  EXPECT_EQ(yamlError("http:\n  compression: gzip\n"),
            file() + ":2: http.compression: unknown key");
}

TEST_F(ConfigTest, UnknownSectionIsRejectedWithItsLine) {
  EXPECT_THAT(yamlError("http:\n  threads: 2\nmetrics:\n  listen: 127.0.0.1:9100\n"),
              StartsWith(file() + ":3: metrics: unknown section (known: site, http, sip"));
}

TEST_F(ConfigTest, FlatDottedKeyIsNotAKey) {
  EXPECT_EQ(
      yamlError("http.listen: 127.0.0.1:9000\n"),
      file() + ":1: http.listen: unknown key (write sections as nested maps, one name per level)");
}

TEST_F(ConfigTest, DuplicateKeyIsRejected) {
  EXPECT_EQ(yamlError("http:\n  threads: 2\n  threads: 3\n"),
            file() + ":3: http.threads: duplicate key");
}

TEST_F(ConfigTest, NonMapYamlIsRejected) {
  EXPECT_THAT(yamlError("- http\n- sip\n"),
              StartsWith(file() + ":1: expected a map of sections (site, http,"));
  EXPECT_THAT(yamlError("kefu\n"), HasSubstr("got a single value"));
  EXPECT_EQ(yamlError("http: 8080\n"),
            file() +
                ":1: http: must be a map of keys (listen, threads, max_body_bytes), got a "
                "single value");
  EXPECT_EQ(yamlError("http:\n  listen: [a, b]\n"),
            file() +
                ":2: http.listen: must be a single value (host:port (port 0: any free port)), "
                "got a list");
}

TEST_F(ConfigTest, YamlSyntaxErrorNamesTheLine) {
  EXPECT_THAT(yamlError("http:\n  threads: 2\n  listen: [oops\n"),
              AllOf(StartsWith(file() + ":"), HasSubstr("not valid YAML")));
}

TEST_F(ConfigTest, MissingFileIsNamed) {
  auto config = loadConfig(dir_ / "absent.yaml", {});
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().message,
            (dir_ / "absent.yaml").string() + ": cannot read: No such file or directory");
}

struct BadValue {
  std::string key;
  std::string value;
  std::string problem;  // what follows "FILE:LINE: KEY: "
};

/** Names the case in test listings (instead of the struct's raw bytes). */
void PrintTo(const BadValue& bad, std::ostream* out) { *out << bad.key << "=" << bad.value; }

class BadValueTest : public ConfigTest, public ::testing::WithParamInterface<BadValue> {};

TEST_P(BadValueTest, IsRejectedWithKeyLineAndExpectation) {
  const BadValue& bad = GetParam();
  auto dot = bad.key.find('.');
  std::string yaml = "# leading comment\n" + bad.key.substr(0, dot) + ":\n  " +
                     bad.key.substr(dot + 1) + ": " + bad.value + "\n";
  EXPECT_EQ(yamlError(yaml), file() + ":3: " + bad.key + ": " + bad.problem);
}

INSTANTIATE_TEST_SUITE_P(
    EveryKind, BadValueTest,
    ::testing::Values(
        BadValue{"http.threads", "many", R"(must be an integer between 1 and 64, got "many")"},
        BadValue{"http.threads", "0", R"(must be an integer between 1 and 64, got "0")"},
        BadValue{"http.threads", "65", R"(must be an integer between 1 and 64, got "65")"},
        BadValue{"http.threads", "2.5", R"(must be an integer between 1 and 64, got "2.5")"},
        BadValue{"storage.pool_size", "\"\"", R"(must be an integer between 1 and 64, got "")"},
        BadValue{"events.buffer", "15", R"(must be an integer between 16 and 1000000, got "15")"},
        BadValue{"http.max_body_bytes", "-1",
                 R"(must be an integer between 1024 and 1073741824, got "-1")"},
        BadValue{"http.listen", "127.0.0.1:70000",
                 R"(must be host:port with a port between 0 and 65535, got "127.0.0.1:70000")"},
        BadValue{"http.listen", "localhost",
                 R"(must be host:port with a port between 0 and 65535, got "localhost")"},
        BadValue{"sip.listen", "\":5060\"",
                 R"(must be host:port with a port between 0 and 65535, got ":5060")"},
        BadValue{"sip.listen", "\"::1:5060\"",
                 R"(must be host:port with a port between 0 and 65535, got "::1:5060")"},
        BadValue{"site.role", "primary", R"(must be one of all, core, edge, got "primary")"},
        BadValue{
            "site.name", "\"my site\"",
            R"(must be 1 to 63 letters, digits, '-' or '_', starting with a letter or digit, got "my site")"},
        BadValue{"log.level", "verbose",
                 R"(must be one of trace, debug, info, warn, error, off, got "verbose")"},
        BadValue{"auth.token_ttl", "12",
                 R"(must be a duration between 1m and 30d such as 90s, 30m or 12h, got "12")"},
        BadValue{"auth.token_ttl", "12x",
                 R"(must be a duration between 1m and 30d such as 90s, 30m or 12h, got "12x")"},
        BadValue{"auth.token_ttl", "59s",
                 R"(must be a duration between 1m and 30d such as 90s, 30m or 12h, got "59s")"},
        BadValue{"auth.token_ttl", "31d",
                 R"(must be a duration between 1m and 30d such as 90s, 30m or 12h, got "31d")"},
        BadValue{
            "auth.token_ttl", "99999999999999999999h",
            R"(must be a duration between 1m and 30d such as 90s, 30m or 12h, got "99999999999999999999h")"},
        BadValue{"demo.seed", "maybe", R"(must be true or false, got "maybe")"},
        BadValue{"demo.seed", "~", R"(must be true or false, got "")"},
        BadValue{
            "storage.url", "mysql://db/kefu",
            R"(must be sqlite:PATH, postgresql://... or postgres://..., got "mysql://db/kefu")"},
        BadValue{"storage.url", "\"sqlite:\"",
                 R"(must be sqlite:PATH, postgresql://... or postgres://..., got "sqlite:")"}));

TEST_F(ConfigTest, ShortAdminPasswordIsRejectedWithoutRepeatingIt) {
  std::string message = yamlError("auth:\n  admin_password: hunter2\n");
  EXPECT_EQ(message, file() + ":2: auth.admin_password: must be at least 8 characters long");
  EXPECT_THAT(message, Not(HasSubstr("hunter2")));
}

TEST_F(ConfigTest, AcceptsEdgeValues) {
  auto config = loadConfig(std::nullopt, {},
                           {{"--set", "auth.token_ttl", "1m"},
                            {"--set", "http.threads", "64"},
                            {"--set", "http.listen", "localhost:0"},
                            {"--set", "storage.url", "postgres://"},
                            {"--set", "demo.seed", "off"}});
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->auth.token_ttl, 1min);
  EXPECT_EQ(config->http.threads, 64);
  EXPECT_EQ(config->http.listen, (HostPort{"localhost", 0}));
  EXPECT_FALSE(config->demo.seed);
}

TEST_F(ConfigTest, EnvironmentErrorNamesTheVariable) {
  auto config = loadConfig(std::nullopt, {{"KEFU_HTTP_THREADS", "many"}});
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().message,
            R"(KEFU_HTTP_THREADS: http.threads: must be an integer between 1 and 64, got "many")");
  EXPECT_EQ(config.error().field, "http.threads");
}

TEST_F(ConfigTest, FlagErrorNamesTheFlag) {
  auto config = loadConfig(std::nullopt, {}, {{"--site-role", "site.role", "hub"}});
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().message,
            R"(--site-role: site.role: must be one of all, core, edge, got "hub")");
}

TEST_F(ConfigTest, UnknownKeyInSetIsRejected) {
  auto config = loadConfig(std::nullopt, {}, {{"--set", "http.thread", "4"}});
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().message, "--set: http.thread: unknown key (did you mean http.threads?)");
}

TEST_F(ConfigTest, ParsesSetAssignments) {
  auto parsed = parseSetOverride("storage.url=postgresql://u@h/db?sslmode=require");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->key, "storage.url");
  EXPECT_EQ(parsed->value, "postgresql://u@h/db?sslmode=require");
  EXPECT_FALSE(parseSetOverride("demo.seed").ok());
  EXPECT_FALSE(parseSetOverride("=true").ok());
}

TEST_F(ConfigTest, UnknownEnvironmentVariablesAreIgnoredButTyposReported) {
  Environment env{{"KEFU_HTTP_LISTNE", "0.0.0.0:1"},
                  {"KEFU_BINARY", "/usr/bin/kefu"},
                  {"KEFU_HTTP_LISTEN", "127.0.0.1:1"},
                  {"HTTP_PROXY", "x"}};
  auto config = loadConfig(std::nullopt, env);
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->http.listen.port, 1);
  EXPECT_EQ(ignoredEnvironmentVariables(env), std::vector<std::string>{"KEFU_HTTP_LISTNE"});
}

TEST_F(ConfigTest, NamesDeriveFromTheKey) {
  const ConfigKey* key = findConfigKey("http.max_body_bytes");
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(key->envVar(), "KEFU_HTTP_MAX_BODY_BYTES");
  EXPECT_EQ(key->flag(), "--http-max-body-bytes");
  EXPECT_EQ(findConfigKey("http"), nullptr);
}

TEST_F(ConfigTest, FormattedYamlMasksSecretsAndReadsBack) {
  Config config;
  config.auth.admin_password = "do-not-print";
  config.auth.token_ttl = 90s;
  config.sip.listen = {"::", 5060};
  config.demo.seed = true;
  std::string masked = formatConfigYaml(config);
  EXPECT_THAT(masked, HasSubstr("admin_password: \"***\""));
  EXPECT_THAT(masked, Not(HasSubstr("do-not-print")));
  EXPECT_THAT(masked, HasSubstr("token_ttl: 1m30s"));

  auto reread = loadConfig(writeYaml(formatConfigYaml(config, /*mask_secrets=*/false)), {});
  ASSERT_TRUE(reread.ok()) << reread.error().message;
  EXPECT_EQ(*reread, config);
  auto defaults = loadConfig(writeYaml(formatConfigYaml(Config{})), {});
  ASSERT_TRUE(defaults.ok()) << defaults.error().message;
  EXPECT_EQ(*defaults, Config{});
}

TEST_F(ConfigTest, EveryKeyIsDocumented) {
  std::string reference = configReferenceMarkdown();
  for (const auto& key : configKeys()) {
    EXPECT_THAT(reference, HasSubstr("| `" + std::string(key.name) + "` |"));
    EXPECT_THAT(reference, HasSubstr("`" + key.envVar() + "`"));
    EXPECT_FALSE(key.doc.empty()) << key.name;
  }
}

TEST_F(ConfigTest, DocsConfigurationMdIsUpToDate) {
  auto path = sourceRoot() / "docs" / "configuration.md";
  std::string document = readFile(path);
  ASSERT_FALSE(document.empty()) << path;
  auto updated = updateConfigReference(document);
  ASSERT_TRUE(updated.ok()) << updated.error().message;
  EXPECT_EQ(document, *updated) << "docs/configuration.md is stale; run `kefu config-doc --write "
                                   "docs/configuration.md` from the repository root";
}

TEST_F(ConfigTest, DeployConfigsAreValid) {
  auto all_in_one = loadConfig(sourceRoot() / "deploy" / "all-in-one.yaml", {});
  ASSERT_TRUE(all_in_one.ok()) << all_in_one.error().message;
  EXPECT_EQ(all_in_one->storage.url, "sqlite:var/kefu.db");
  EXPECT_EQ(all_in_one->http.listen, (HostPort{"127.0.0.1", 8080}));
  EXPECT_TRUE(all_in_one->demo.seed);
  EXPECT_EQ(all_in_one->auth.admin_password, "kefu-admin");

  auto postgres = loadConfig(sourceRoot() / "deploy" / "postgres.yaml", {});
  ASSERT_TRUE(postgres.ok()) << postgres.error().message;
  EXPECT_THAT(postgres->storage.url, StartsWith("postgresql://"));
}

}  // namespace
}  // namespace kefu::server
