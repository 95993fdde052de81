// The `kefu` binary as a user runs it: exit codes and what it prints.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

struct ProcessResult {
  int exit_code = -1;
  std::string output;  // standard output and standard error, interleaved
};

std::string shellQuoted(const std::string& word) {
  std::string out = "'";
  for (char c : word) {
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return out + "'";
}

/** Runs the kefu binary with `args` and waits for it. */
ProcessResult runKefu(const std::vector<std::string>& args) {
  std::string command = shellQuoted(KEFU_BINARY);
  for (const auto& arg : args) {
    command += " " + shellQuoted(arg);
  }
  command += " 2>&1 </dev/null";
  ProcessResult run;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    ADD_FAILURE() << "cannot run " << command;
    return run;
  }
  std::array<char, 4096> buffer{};
  while (std::size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe)) {
    run.output.append(buffer.data(), n);
  }
  int status = ::pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return run;
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "kefu-cli-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string writeFile(const std::string& name, const std::string& text) {
    auto path = dir_ / name;
    std::ofstream(path, std::ios::binary) << text;
    return path.string();
  }

  std::filesystem::path dir_;
};

TEST_F(CliTest, VersionPrintsVersionAndCommit) {
  ProcessResult run = runKefu({"version"});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, StartsWith("kefu "));
  EXPECT_THAT(run.output, HasSubstr(" ("));
}

TEST_F(CliTest, NoSubcommandIsAUsageError) {
  ProcessResult run = runKefu({});
  EXPECT_EQ(run.exit_code, 2) << run.output;
}

TEST_F(CliTest, CheckConfigNamesUnknownKeyAndLine) {
  std::string file =
      writeFile("bad.yaml", "http:\n  listen: 127.0.0.1:0\n  listne: 127.0.0.1:9000\n");
  ProcessResult run = runKefu({"check-config", "-c", file});
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_THAT(run.output, HasSubstr(file + ":3: http.listne: unknown key"));
  EXPECT_THAT(run.output, Not(HasSubstr("config OK")));
}

TEST_F(CliTest, CheckConfigAcceptsGoodFileAndMasksSecrets) {
  std::string file = writeFile("good.yaml",
                               "http:\n  listen: 127.0.0.1:0\nauth:\n  admin_password: "
                               "very-secret-word\n  token_ttl: 30m\n");
  ProcessResult run = runKefu({"check-config", "--config", file});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, StartsWith("config OK\n"));
  EXPECT_THAT(run.output, HasSubstr("listen: 127.0.0.1:0"));
  EXPECT_THAT(run.output, HasSubstr("token_ttl: 30m"));
  EXPECT_THAT(run.output, HasSubstr("admin_password: \"***\""));
  EXPECT_THAT(run.output, Not(HasSubstr("very-secret-word")));
}

TEST_F(CliTest, FlagsOverrideTheFile) {
  std::string file = writeFile("good.yaml", "http:\n  listen: 127.0.0.1:0\n  threads: 3\n");
  ProcessResult run = runKefu({"check-config", "-c", file, "--http-listen", "127.0.0.1:9000",
                               "--set", "http.threads=5", "--demo-seed"});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr("listen: 127.0.0.1:9000"));
  EXPECT_THAT(run.output, HasSubstr("threads: 5"));
  EXPECT_THAT(run.output, HasSubstr("seed: true"));
}

TEST_F(CliTest, BadFlagValueNamesTheFlag) {
  ProcessResult run = runKefu({"check-config", "--http-threads", "many"});
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_THAT(run.output, HasSubstr("--http-threads: http.threads: must be an integer"));

  run = runKefu({"check-config", "--set", "http.thread=4"});
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_THAT(run.output, HasSubstr("--set: http.thread: unknown key"));
}

TEST_F(CliTest, DeployConfigsPassCheckConfig) {
  for (const char* name : {"all-in-one.yaml", "postgres.yaml"}) {
    ProcessResult run =
        runKefu({"check-config", "-c", std::string(KEFU_SOURCE_DIR) + "/deploy/" + name});
    EXPECT_EQ(run.exit_code, 0) << name << ": " << run.output;
  }
}

TEST_F(CliTest, MigrateAppliesOnceThenNothing) {
  std::string url = "sqlite:" + (dir_ / "kefu.db").string();
  ProcessResult first = runKefu({"migrate", "--storage-url", url});
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_THAT(first.output, HasSubstr("applied "));
  EXPECT_THAT(first.output, Not(HasSubstr("applied 0 ")));

  ProcessResult second = runKefu({"migrate", "--storage-url", url});
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_THAT(second.output, HasSubstr("applied 0 migration(s)"));
  EXPECT_THAT(second.output, HasSubstr("schema version "));
}

}  // namespace
