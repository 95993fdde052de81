#pragma once

// KEFU_ASSERT checks an invariant in debug builds and aborts with the place it broke.
// KEFU_BUG reports a broken invariant in every build (a log line and a counter) and lets the
// caller recover: use it where a release build must keep serving.

#include <cstdint>
#include <string_view>

namespace kefu {

[[noreturn]] void assertFailed(const char* expr, const char* file, int line);
void reportBug(std::string_view what, const char* file, int line);
/** @return how many KEFU_BUG reports this process has made (exported in /metrics). */
std::uint64_t bugCount();

}  // namespace kefu

#ifdef NDEBUG
#define KEFU_ASSERT(expr) ((void)0)
#else
#define KEFU_ASSERT(expr) ((expr) ? (void)0 : ::kefu::assertFailed(#expr, __FILE__, __LINE__))
#endif

#define KEFU_BUG(what) ::kefu::reportBug((what), __FILE__, __LINE__)
