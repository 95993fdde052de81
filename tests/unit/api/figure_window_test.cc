// The query of GET /api/v1/{queues,agents}/{id}/figures: defaults, limits and the parameter a 400
// names.

#include <gtest/gtest.h>

#include <string>

#include "api/figure_routes.h"

namespace kefu::api {
namespace {

constexpr std::int64_t Now = 1'795'514'820'000;  // 2026-11-24 10:07 UTC
constexpr std::int64_t Day = 86'400'000;

std::string badField(std::string_view query) {
  auto window = figureWindowFromQuery(query, Now);
  if (window.ok()) {
    return "(accepted)";
  }
  EXPECT_EQ(window.error().code, ErrorCode::InvalidArgument);
  return window.error().field;
}

TEST(FigureWindowTest, DefaultsToTheLastDayInQuarterHours) {
  auto window = figureWindowFromQuery("", Now);
  ASSERT_TRUE(window.ok());
  EXPECT_EQ(window->to_ms, Now);
  EXPECT_EQ(window->from_ms, Now - Day);
  EXPECT_EQ(window->interval_seconds, 900);
}

TEST(FigureWindowTest, TakesEveryParameter) {
  auto window = figureWindowFromQuery("from=1000&to=7201000&interval=3600", Now);
  ASSERT_TRUE(window.ok()) << window.error().message;
  EXPECT_EQ(window->from_ms, 1000);
  EXPECT_EQ(window->to_ms, 7'201'000);
  EXPECT_EQ(window->interval_seconds, 3600);
}

TEST(FigureWindowTest, NamesTheBadParameter) {
  EXPECT_EQ(badField("from=yesterday"), "from");
  EXPECT_EQ(badField("to=-5"), "to");
  EXPECT_EQ(badField("to=12.5"), "to");
  EXPECT_EQ(badField("interval="), "interval");
  EXPECT_EQ(badField("interval=59"), "interval");
  EXPECT_EQ(badField("interval=700"), "interval");  // does not divide a day
  EXPECT_EQ(badField("interval=172800"), "interval");
  EXPECT_EQ(badField("from=5000&to=5000"), "from");
  EXPECT_EQ(badField("from=0&to=9999999999999&interval=60"), "to");  // too many intervals
  EXPECT_EQ(badField("from=1&from=2"), "from");
  EXPECT_EQ(badField("queue=q1"), "queue");
  EXPECT_EQ(badField("from=1000&to=2000&interval=60"), "(accepted)");
}

}  // namespace
}  // namespace kefu::api
