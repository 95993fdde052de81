#include "ivr/flow_tool.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace kefu::ivr {
namespace {

using ::testing::HasSubstr;

class FlowToolTest : public ::testing::Test {
 protected:
  std::string write(const std::string& name, std::string_view text) {
    auto path = dir_ / name;
    std::ofstream(path) << text;
    return path.string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_ = [] {
    auto dir =
        std::filesystem::temp_directory_path() /
        ("kefu_ivr_tool_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
         "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir);
    return dir;
  }();
};

TEST_F(FlowToolTest, CheckPrintsEachErrorWithItsLineAndFails) {
  auto good = write("good.yaml", "version: 1\nstart: a\nnodes:\n  a: {type: hangup}\n");
  auto bad = write("bad.yaml",
                   "version: 1\nstart: a\nnodes:\n  a:\n    type: play\n    prompt: {file: "
                   "missing.wav}\n    next: b\n");
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(checkFlowFiles({good}, out, err), 0);
  EXPECT_THAT(out.str(), HasSubstr("good.yaml: OK (1 nodes, version 1)"));
  EXPECT_EQ(checkFlowFiles({good, bad}, out, err), 1);
  EXPECT_THAT(err.str(), HasSubstr(bad + ":6: node `a`: prompt file `"));
  EXPECT_THAT(err.str(), HasSubstr("missing.wav` not found"));
  EXPECT_THAT(err.str(), HasSubstr(bad + ":7: node `a`: `next` names node `b`"));
  EXPECT_THAT(err.str(), HasSubstr(bad + ": 2 errors"));
}

TEST_F(FlowToolTest, PromptFilesAreFoundBesideTheFlow) {
  write("hello.wav", "RIFF");
  auto flow = write("flow.yaml",
                    "version: 1\nstart: a\nnodes:\n  a:\n    type: play\n    prompt: {file: "
                    "hello.wav}\n    next: b\n  b: {type: hangup}\n");
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(checkFlowFiles({flow}, out, err), 0) << err.str();
}

TEST_F(FlowToolTest, TryPrintsStepsAndTheEnd) {
  std::ostringstream out;
  std::ostringstream err;
  TryOptions options;
  options.file = KEFU_SOURCE_DIR "/deploy/flows/bank.yaml";
  options.at = "2026-11-24T13:00:00Z";  // 21:00 in Shanghai: closed
  options.inputs = "1,1";
  EXPECT_EQ(tryFlowFile(options, out, err), 0) << err.str();
  EXPECT_THAT(out.str(), HasSubstr("-> closed (menu)"));
  EXPECT_THAT(out.str(), HasSubstr("= callback +10000000000 from queue general"));
}

TEST_F(FlowToolTest, TryRejectsBadOptions) {
  std::ostringstream out;
  std::ostringstream err;
  TryOptions options;
  options.file = KEFU_SOURCE_DIR "/deploy/flows/bank.yaml";
  options.at = "yesterday";
  EXPECT_EQ(tryFlowFile(options, out, err), 2);
  options.at = "";
  options.http_stub = "maybe";
  EXPECT_EQ(tryFlowFile(options, out, err), 2);
  options.http_stub = "";
  options.file = (dir_ / "none.yaml").string();
  EXPECT_EQ(tryFlowFile(options, out, err), 1);
}

TEST(ParseUtcTimeTest, ReadsIsoInstants) {
  auto seconds = [](const std::string& text) {
    auto parsed = parseUtcTime(text);
    return parsed ? std::chrono::duration_cast<std::chrono::seconds>(parsed->time_since_epoch())
                        .count()
                  : -1;
  };
  EXPECT_EQ(seconds("2026-11-24T03:00:00Z"), 1795489200);
  EXPECT_EQ(seconds("2026-11-24T03:00Z"), 1795489200);
  EXPECT_EQ(seconds("2024-02-29T23:59:59Z"), 1709251199);
  EXPECT_EQ(seconds("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(seconds("2026-11-24T03:00:00"), -1);
  EXPECT_EQ(seconds("2026-13-24T03:00:00Z"), -1);
}

}  // namespace
}  // namespace kefu::ivr
