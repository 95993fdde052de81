#include "core/log.h"

#include <spdlog/spdlog.h>

#include <string>

namespace kefu {

Result<void> setLogLevel(std::string_view level) {
  for (auto candidate : {spdlog::level::trace, spdlog::level::debug, spdlog::level::info,
                         spdlog::level::warn, spdlog::level::err, spdlog::level::off}) {
    auto name = spdlog::level::to_string_view(candidate);
    std::string_view short_name(name.data(), name.size());
    if (level == short_name || (candidate == spdlog::level::err && level == "error") ||
        (candidate == spdlog::level::warn && level == "warn")) {
      spdlog::set_level(candidate);
      return {};
    }
  }
  return Error::invalid("log.level", "must be one of " + std::string(LogLevels));
}

}  // namespace kefu
