#include "ivr/flow_loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

namespace kefu::ivr {
namespace {

using ::testing::HasSubstr;

std::vector<std::string> errorsOf(std::string_view yaml, LoadOptions options = {}) {
  auto loaded = loadFlow(yaml, "test.yaml", options);
  std::vector<std::string> out;
  for (const auto& error : loaded.errors) {
    out.push_back(format(error, "test.yaml"));
  }
  EXPECT_EQ(loaded.flow == nullptr, !loaded.errors.empty());
  return out;
}

constexpr std::string_view Minimal = R"(version: 1
start: hello
nodes:
  hello:
    type: play
    prompt: "Hello"
    next: bye
  bye:
    type: hangup
)";

TEST(FlowLoaderTest, LoadsAValidFlow) {
  auto loaded = loadFlow(Minimal, "test.yaml");
  ASSERT_TRUE(loaded.errors.empty()) << format(loaded.errors.front(), "test.yaml");
  ASSERT_NE(loaded.flow, nullptr);
  EXPECT_EQ(loaded.flow->start, "hello");
  ASSERT_NE(loaded.flow->find("hello"), nullptr);
  EXPECT_EQ(loaded.flow->find("hello")->kind, NodeKind::Play);
  EXPECT_EQ(loaded.flow->find("hello")->prompt.by_language.at("").text, "Hello");
}

TEST(FlowLoaderTest, ReportsUnknownReferenceWithItsLine) {
  auto errors = errorsOf(R"(version: 1
start: menu
nodes:
  menu:
    type: menu
    prompt: "Press 1"
    options:
      "1": nowhere
)");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], HasSubstr("test.yaml:8:"));
  EXPECT_THAT(errors[0], HasSubstr("`nowhere`"));
}

TEST(FlowLoaderTest, ReportsUnreachableNode) {
  auto errors = errorsOf(std::string(Minimal) + R"(  orphan:
    type: hangup
)");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], HasSubstr("test.yaml:10:"));
  EXPECT_THAT(errors[0], HasSubstr("orphan` is unreachable"));
}

TEST(FlowLoaderTest, ReportsLoopThatNeverWaitsForInput) {
  auto errors = errorsOf(R"(version: 1
start: a
nodes:
  a:
    type: set
    variables: {x: "1"}
    next: b
  b:
    type: switch
    variable: x
    cases: {"2": done}
    next: a
  done:
    type: hangup
)");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], HasSubstr("loop that never waits for input"));
  EXPECT_THAT(errors[0], HasSubstr("a → b → a"));
}

TEST(FlowLoaderTest, AcceptsLoopThroughAMenu) {
  auto errors = errorsOf(R"(version: 1
start: menu
nodes:
  menu:
    type: menu
    prompt: "1 to repeat, 2 to leave"
    options: {"1": again, "2": bye}
  again:
    type: play
    prompt: "Again"
    next: menu
  bye:
    type: hangup
)");
  EXPECT_TRUE(errors.empty()) << errors.front();
}

TEST(FlowLoaderTest, ReportsMissingPromptAndMissingLanguage) {
  auto errors = errorsOf(R"(version: 1
start: menu
languages: [en, zh]
nodes:
  menu:
    type: menu
    prompt: {en: "Press 1"}
    options: {"1": ask}
  ask:
    type: collect
    variable: account
    next: bye
  bye:
    type: hangup
)");
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_THAT(errors[0], HasSubstr("test.yaml:7: node `menu`: no prompt in language `zh`"));
  EXPECT_THAT(errors[1], HasSubstr("test.yaml:9: node `ask` (collect) has no `prompt`"));
}

TEST(FlowLoaderTest, ReportsMissingPromptFile) {
  LoadOptions options;
  std::set<std::string> asked;
  options.prompt_exists = [&](const std::string& path) {
    asked.insert(path);
    return false;
  };
  auto errors = errorsOf(R"(version: 1
start: hello
nodes:
  hello:
    type: play
    prompt: {file: prompts/hello.wav}
    next: bye
  bye:
    type: hangup
)",
                         options);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], HasSubstr("test.yaml:6:"));
  EXPECT_THAT(errors[0], HasSubstr("prompts/hello.wav` not found"));
  EXPECT_EQ(asked, std::set<std::string>{"prompts/hello.wav"});
}

TEST(FlowLoaderTest, ReportsBadTypesEachWithItsLine) {
  auto errors = errorsOf(R"(version: 1
start: c
nodes:
  c:
    type: collect
    prompt: "Digits"
    variable: pin
    min: four
    timeout: soon
    retries: 99
    next: h
  h:
    type: hours
    timezone: Asia/Shanghai
    open: {mon-fri: "9-18"}
    closed: t
    next: t
  t:
    type: transfer
    queue: general
    number: "123"
  x:
    type: dance
)");
  std::string all;
  for (const auto& error : errors) {
    all += error + "\n";
  }
  EXPECT_THAT(all, HasSubstr("test.yaml:8: `min` must be an integer"));
  EXPECT_THAT(all, HasSubstr("test.yaml:9: `timeout` must be a positive duration"));
  EXPECT_THAT(all, HasSubstr("test.yaml:10: `retries` must be between 0 and 10"));
  EXPECT_THAT(all, HasSubstr("test.yaml:15: `9-18` is not a range of hours"));
  EXPECT_THAT(all, HasSubstr("test.yaml:19: `transfer` needs exactly one of queue"));
  EXPECT_THAT(all, HasSubstr("test.yaml:23: node `x`: unknown type `dance`"));
}

TEST(FlowLoaderTest, ReportsUnknownKeyAsATypo) {
  auto errors = errorsOf(R"(version: 1
start: hello
nodes:
  hello:
    type: play
    promt: "Hello"
    next: bye
  bye:
    type: hangup
)");
  std::string all;
  for (const auto& error : errors) {
    all += error + "\n";
  }
  EXPECT_THAT(all, HasSubstr("test.yaml:6: unknown key `promt` in a play node"));
  EXPECT_THAT(all, HasSubstr("test.yaml:4: node `hello` (play) has no `prompt`"));
}

TEST(FlowLoaderTest, ReportsVersionAndSyntaxErrors) {
  EXPECT_THAT(errorsOf("version: 2\nstart: a\nnodes: {a: {type: hangup}}\n").at(0),
              HasSubstr("test.yaml:1: version 2 is not supported"));
  EXPECT_THAT(errorsOf("start: a\nnodes: {a: {type: hangup}}\n").at(0),
              HasSubstr("missing `version`"));
  EXPECT_THAT(errorsOf("version: 1\nstart: [a\n").at(0), HasSubstr("not valid YAML"));
  EXPECT_THAT(errorsOf("- just\n- a list\n").at(0), HasSubstr("a flow is a mapping"));
}

TEST(FlowLoaderTest, NeverThrowsOnOddShapes) {
  for (std::string_view yaml :
       {"", "~", "version: 1\nnodes: 3\n", "version: 1\nstart: a\nnodes: {a: [1, 2]}\n",
        "version: 1\nstart: a\nnodes: {a: {type: menu, options: [1], prompt: {en: [x]}}}\n",
        "version: 1\nstart: a\nnodes: {a: {type: hours, open: {mon: [[1]]}, timezone: {}}}\n",
        "version: 1\nstart: a\nnodes: {a: {type: http, url: 5, extract: [1]}}\n"}) {
    auto loaded = loadFlow(yaml, "odd.yaml");
    EXPECT_FALSE(loaded.errors.empty()) << yaml;
    EXPECT_EQ(loaded.flow, nullptr);
  }
}

TEST(FlowLoaderTest, ShippedDemoFlowIsValid) {
  auto loaded = loadFlowFile(KEFU_SOURCE_DIR "/deploy/flows/bank.yaml");
  std::string all;
  for (const auto& error : loaded.errors) {
    all += format(error, "bank.yaml") + "\n";
  }
  EXPECT_TRUE(loaded.errors.empty()) << all;
}

}  // namespace
}  // namespace kefu::ivr
