// An inbound trunk known by digest credentials rather than by address: SIPp sends an INVITE from
// an address no trunk has, is challenged with 407, answers with Proxy-Authorization and its call
// goes through; with a wrong password it gets 403 and no call exists.

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include "support/call/call_site.h"
#include "support/sip/sipp_process.h"

namespace kefu::test {
namespace {

using namespace std::chrono_literals;

class DigestTrunkTest : public CallSiteFixture {
 protected:
  void configureCalls(server::Config& config) override {
    config.sip.trunks = "192.0.2.1";  // the address trunk: not where SIPp calls from
    config.sip.trunk_user = "carrier-b";
    config.sip.trunk_password = "trunk-secret-1";
  }

  /** Runs the digest trunk scenario to entry point 5000 with `password`; @return SIPp's exit. */
  std::optional<int> callWith(const std::string& password, const std::string& name) {
    std::filesystem::create_directories(dir_ / name);
    sip::testing::SippProcess sipp(
        (dir_ / name).string(), sip::testing::sippScenario("sipp_uac_digest_trunk.xml"),
        "127.0.0.1:" + std::to_string(sip_port_),
        {"-s", "5000", "-au", "carrier-b", "-ap", password});
    EXPECT_TRUE(sipp.running());
    auto status = sipp.waitExit(30s);
    log_ = sipp.log();
    return status;
  }

  std::string log_;
};

TEST_P(DigestTrunkTest, ATrunkAnsweringTheChallengeIsPutThroughAndAWrongPasswordIsRefused) {
  addQueue("5000");
  EXPECT_EQ(callWith("trunk-secret-1", "right"), 0) << log_;
  EXPECT_EQ(metric("kefu_calls_challenged_total"), 1);
  EXPECT_EQ(metric("kefu_calls_created_total"), 1);
  EXPECT_EQ(metric("kefu_calls_rejected_forbidden_total"), 0);
  expectNothingLeft();

  EXPECT_NE(callWith("a-guess", "wrong"), 0) << "a wrong password must not be answered 200";
  EXPECT_NE(log_.find("403"), std::string::npos) << log_;
  EXPECT_EQ(metric("kefu_calls_challenged_total"), 2);
  EXPECT_EQ(metric("kefu_calls_rejected_forbidden_total"), 1);
  EXPECT_EQ(metric("kefu_calls_created_total"), 1) << "a refused trunk INVITE is no call";
  expectNothingLeft();
}

INSTANTIATE_TEST_SUITE_P(Sqlite, DigestTrunkTest, testing::Values(Backend::Sqlite), backendName);

}  // namespace
}  // namespace kefu::test
