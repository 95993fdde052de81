// deploy/hybrid/ holds configurations a user copies: they must load, and describe a core and an
// edge site that point at each other.

#include <gtest/gtest.h>

#include "server/config.h"

namespace kefu::server {
namespace {

/** @return deploy/hybrid, found from this file (run from the build directory, like config_test). */
std::filesystem::path hybridDir() {
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path().parent_path() /
         "deploy" / "hybrid";
}

TEST(HybridDeployTest, CoreAndEdgeConfigsLoadAndPointAtEachOther) {
  auto core = loadConfig(hybridDir() / "core.yaml", {});
  ASSERT_TRUE(core.ok()) << core.error().message;
  auto edge = loadConfig(hybridDir() / "edge.yaml", {});
  ASSERT_TRUE(edge.ok()) << edge.error().message;
  EXPECT_EQ(core->site.role, SiteRole::Core);
  EXPECT_EQ(edge->site.role, SiteRole::Edge);
  EXPECT_EQ(core->sync.peer, edge->site.name);
  EXPECT_EQ(edge->sync.peer, core->site.name);
  EXPECT_TRUE(core->storage.url.starts_with("postgresql://"));
  EXPECT_FALSE(core->sync.nats_url.empty());
  EXPECT_TRUE(std::filesystem::exists(hybridDir() / "nats-core.conf"));
  EXPECT_TRUE(std::filesystem::exists(hybridDir() / "nats-edge.conf"));
}

}  // namespace
}  // namespace kefu::server
