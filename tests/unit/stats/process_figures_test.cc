#include "stats/process_figures.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace kefu::stats {
namespace {

// A real /proc/<pid>/stat line of a process whose name holds spaces and parentheses.
constexpr std::string_view StatLine =
    "4242 (kefu (api) 1) S 1 4242 4242 0 -1 4194560 1969 0 0 0 150 50 0 0 20 0 9 0 123400 "
    "987654321 2048 18446744073709551615 1 1 0 0 0 0 0 4096 17920 0 0 0 17 1 0 0 0 0 0\n";

TEST(ProcessFiguresTest, ParsesStatFieldsAfterTheLastParenthesis) {
  auto stat = parseProcStat(StatLine);
  ASSERT_TRUE(stat.ok()) << stat.error().message;
  EXPECT_EQ(stat->utime_ticks, 150);
  EXPECT_EQ(stat->stime_ticks, 50);
  EXPECT_EQ(stat->threads, 9);
  EXPECT_EQ(stat->start_ticks, 123400);
  EXPECT_EQ(stat->virtual_bytes, 987654321);
  EXPECT_EQ(stat->resident_pages, 2048);
}

TEST(ProcessFiguresTest, RejectsMalformedStat) {
  EXPECT_FALSE(parseProcStat("").ok());
  EXPECT_FALSE(parseProcStat("4242 (kefu) S 1 2 3").ok());
  EXPECT_FALSE(parseProcStat("4242 kefu S 1 4242 4242 0 -1 4194560 1969 0 0 0 150 50 0 0 20 0 9 0 "
                             "123400 987654321 2048 1")
                   .ok());
  EXPECT_FALSE(parseProcStat("4242 (kefu) S 1 4242 4242 0 -1 4194560 1969 0 0 0 x 50 0 0 20 0 9 "
                             "0 123400 987654321 2048 1")
                   .ok());
}

class FakeProcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/kefu-fake-proc-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    std::filesystem::create_directories(dir_ / "self" / "fd");
    for (const char* fd : {"0", "1", "2", "7"}) {
      std::ofstream(dir_ / "self" / "fd" / fd);
    }
    std::ofstream(dir_ / "self" / "stat") << StatLine;
    std::ofstream(dir_ / "self" / "limits")
        << "Limit                     Soft Limit           Hard Limit           Units     \n"
           "Max processes             63304                63304                processes \n"
           "Max open files            1024                 524288               files     \n";
    std::ofstream(dir_ / "stat") << "cpu  1 2 3 4\nintr 5\nbtime 1700000000\nprocesses 9\n";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
};

TEST_F(FakeProcTest, ComputesFiguresFromProcFiles) {
  auto figures = readProcessFigures(dir_);
  ASSERT_TRUE(figures.ok()) << figures.error().message;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  EXPECT_DOUBLE_EQ(figures->cpu_seconds, 200 / ticks);
  EXPECT_DOUBLE_EQ(figures->resident_bytes, 2048.0 * static_cast<double>(sysconf(_SC_PAGESIZE)));
  EXPECT_EQ(figures->virtual_bytes, 987654321);
  EXPECT_EQ(figures->open_fds, 4);
  EXPECT_EQ(figures->max_fds, 1024);
  EXPECT_DOUBLE_EQ(figures->start_time_seconds, 1700000000 + 123400 / ticks);
  EXPECT_EQ(figures->threads, 9);
}

TEST_F(FakeProcTest, UnlimitedOpenFilesIsInfinite) {
  std::ofstream(dir_ / "self" / "limits")
      << "Max open files            unlimited            unlimited            files     \n";
  auto figures = readProcessFigures(dir_);
  ASSERT_TRUE(figures.ok()) << figures.error().message;
  EXPECT_TRUE(std::isinf(figures->max_fds));
}

TEST_F(FakeProcTest, NamesTheFileItCannotRead) {
  std::filesystem::remove(dir_ / "stat");
  auto figures = readProcessFigures(dir_);
  ASSERT_FALSE(figures.ok());
  EXPECT_NE(figures.error().message.find((dir_ / "stat").string()), std::string::npos);
}

TEST(ProcessFiguresTest, ReadsThisProcess) {
  auto figures = readProcessFigures();
  ASSERT_TRUE(figures.ok()) << figures.error().message;
  EXPECT_GT(figures->resident_bytes, 0);
  EXPECT_GT(figures->open_fds, 0);
  EXPECT_GE(figures->threads, 1);
}

}  // namespace
}  // namespace kefu::stats
