#include "core/assert.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace kefu {
namespace {
std::atomic<std::uint64_t> bug_count{0};
}  // namespace

void assertFailed(const char* expr, const char* file, int line) {
  std::fprintf(stderr, "kefu: assertion failed: %s at %s:%d\n", expr, file, line);
  std::abort();
}

void reportBug(std::string_view what, const char* file, int line) {
  bug_count.fetch_add(1, std::memory_order_relaxed);
  spdlog::error("bug: {} at {}:{}", what, file, line);
}

std::uint64_t bugCount() { return bug_count.load(std::memory_order_relaxed); }

}  // namespace kefu
