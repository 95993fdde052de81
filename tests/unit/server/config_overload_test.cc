// The configuration keys of SIP overload and its neighbours: calls.cpu_budget,
// calls.max_pending_invites, calls.callback_key and sip.advertised_address.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server/config.h"

namespace kefu::server {
namespace {

using ::testing::HasSubstr;

Result<Config> withSet(std::string key, std::string value) {
  return loadConfig(std::nullopt, {}, {{"--set", std::move(key), std::move(value)}});
}

TEST(ConfigOverloadTest, Defaults) {
  auto config = loadConfig(std::nullopt, {});
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->calls.cpu_budget, 85);
  EXPECT_EQ(config->calls.max_pending_invites, 300);
  EXPECT_EQ(config->calls.callback_key, "*");
  EXPECT_EQ(config->sip.advertised_address, "");
}

TEST(ConfigOverloadTest, ReadsEachKey) {
  auto config = loadConfig(std::nullopt, {},
                           {{"--set", "calls.cpu_budget", "0"},
                            {"--set", "calls.max_pending_invites", "50"},
                            {"--set", "calls.callback_key", "#"},
                            {"--set", "sip.advertised_address", "203.0.113.5"}});
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->calls.cpu_budget, 0);
  EXPECT_EQ(config->calls.max_pending_invites, 50);
  EXPECT_EQ(config->calls.callback_key, "#");
  EXPECT_EQ(config->sip.advertised_address, "203.0.113.5");
}

TEST(ConfigOverloadTest, AnEmptyCallbackKeyTurnsTheOfferOff) {
  auto config = withSet("calls.callback_key", "");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->calls.callback_key, "");
}

TEST(ConfigOverloadTest, BadValuesAreRejectedNamingTheKey) {
  for (auto [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"calls.cpu_budget", "101"},
           {"calls.cpu_budget", "-1"},
           {"calls.max_pending_invites", "many"},
           {"calls.callback_key", "x"},
           {"calls.callback_key", "**"},
           {"sip.advertised_address", "kefu.example.com:5060"}}) {
    auto config = withSet(key, value);
    ASSERT_FALSE(config.ok()) << key << "=" << value;
    EXPECT_THAT(config.error().message, HasSubstr(key)) << value;
  }
}

}  // namespace
}  // namespace kefu::server
