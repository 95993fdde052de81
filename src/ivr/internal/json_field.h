#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace kefu::ivr::internal {

/** @return the scalar at a dotted path ("account.balance", "cards.0.state") as text; nullopt
 *  when a part is missing or the value is null, an object or an array. */
std::optional<std::string> jsonField(const nlohmann::json& root, const std::string& path);

}  // namespace kefu::ivr::internal
