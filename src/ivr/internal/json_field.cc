#include "ivr/internal/json_field.h"

#include <algorithm>
#include <cctype>

namespace kefu::ivr::internal {

/** @return the value at a dotted path ("account.balance", "cards.0.state") as text. */
std::optional<std::string> jsonField(const nlohmann::json& root, const std::string& path) {
  const nlohmann::json* at = &root;
  std::size_t begin = 0;
  while (begin <= path.size()) {
    auto end = path.find('.', begin);
    std::string part =
        path.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
    if (at->is_object()) {
      auto it = at->find(part);
      if (it == at->end()) {
        return std::nullopt;
      }
      at = &*it;
    } else if (at->is_array() && !part.empty() &&
               std::all_of(part.begin(), part.end(), ::isdigit) && part.size() < 9) {
      std::size_t index = std::stoul(part);
      if (index >= at->size()) {
        return std::nullopt;
      }
      at = &(*at)[index];
    } else {
      return std::nullopt;
    }
    if (end == std::string::npos) {
      break;
    }
    begin = end + 1;
  }
  if (at->is_string()) {
    return at->get<std::string>();
  }
  if (at->is_null() || at->is_object() || at->is_array()) {
    return std::nullopt;
  }
  return at->dump();
}

}  // namespace kefu::ivr::internal
