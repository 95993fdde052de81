// The spoken-digit end-to-end test's flow (tests/support/ivr/spoken_account.yaml) run in text
// mode: the route must tell the digits heard, so that the call test can read them from the queue.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ivr/flow_driver.h"
#include "ivr/flow_loader.h"

namespace kefu::ivr {
namespace {

FlowPtr spokenAccountFlow() {
  auto loaded = loadFlowFile(KEFU_SOURCE_DIR "/tests/support/ivr/spoken_account.yaml");
  EXPECT_TRUE(loaded.errors.empty()) << (loaded.errors.empty() ? "" : loaded.errors[0].message);
  return loaded.flow;
}

/** @return the queue the flow transfers to after `inputs`. */
std::string queueAfter(const std::vector<std::string>& inputs) {
  auto flow = spokenAccountFlow();
  if (flow == nullptr) {
    return "no flow";
  }
  SimulatedTime time;
  SystemTimeZones zones;
  FlowDriver driver(flow, time, zones, {});
  driver.run(inputs);
  for (const auto& action : driver.actions()) {
    if (const auto* transfer = std::get_if<Transfer>(&action)) {
      return transfer->target.id;
    }
  }
  return "none";
}

TEST(SpokenAccountFlowTest, FortyTwoGoesToTheRightQueueAnythingElseToTheWrongOne) {
  EXPECT_EQ(queueAfter({"say:42"}), "spoken-right");
  EXPECT_EQ(queueAfter({"say:four two"}), "spoken-right");
  EXPECT_EQ(queueAfter({"say:43"}), "spoken-wrong");
  EXPECT_EQ(queueAfter({"wait", "wait"}), "spoken-wrong");  // no input twice
  EXPECT_EQ(queueAfter({"fail-speech"}), "spoken-wrong");
}

}  // namespace
}  // namespace kefu::ivr
