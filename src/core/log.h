#pragma once

#include <string_view>

#include "core/result.h"

namespace kefu {

/** The accepted log levels, for validation messages. */
inline constexpr std::string_view LogLevels = "trace, debug, info, warn, error, off";

/** Sets the process-wide log level (spdlog); @return an error naming the accepted levels. */
Result<void> setLogLevel(std::string_view level);

}  // namespace kefu
