#pragma once

#include <string>
#include <string_view>

#include "core/time_source.h"

namespace kefu {

/**
 * A new identifier: `prefix` + '_' + a ULID (48-bit millisecond time + 80 random bits, Crockford
 * base32), so ids sort by creation time and tell their entity at a glance (`ag_01JD…`).
 * Thread-safe.
 */
std::string newId(std::string_view prefix, const TimeSource& time);

/** @return `bytes` random bytes from the operating system, hex-encoded. */
std::string randomHex(std::size_t bytes);

}  // namespace kefu
