#pragma once

// Typed reads of YAML values that record a Diagnostic (with the value's line) instead of throwing,
// so one pass over a flow reports every problem.

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ivr/flow_loader.h"

namespace kefu::ivr::internal {

/** @return the 1-based line of a YAML value, 0 when it has none. */
inline int lineOf(const YAML::Node& node) {
  return node.Mark().is_null() ? 0 : node.Mark().line + 1;
}

/** Reads values, appending a Diagnostic to `errors` for each that has the wrong type. */
class FieldReader {
 public:
  explicit FieldReader(std::vector<Diagnostic>& errors) : errors_(errors) {}

 protected:
  void error(const YAML::Node& at, std::string message) {
    errors_.push_back({lineOf(at), std::move(message)});
  }

  void checkKeys(const YAML::Node& map, std::initializer_list<std::string_view> allowed,
                 std::string_view what) {
    for (const auto& entry : map) {
      const std::string& key = entry.first.Scalar();
      bool known = false;
      for (auto name : allowed) {
        known = known || name == key;
      }
      if (!known) {
        std::string list;
        for (auto name : allowed) {
          list += list.empty() ? "" : ", ";
          list += name;
        }
        error(entry.first,
              fmt::format("unknown key `{}` in {} (expected one of: {})", key, what, list));
      }
    }
  }

  std::optional<std::string> text(const YAML::Node& node, std::string_view what) {
    if (!node) {
      return std::nullopt;
    }
    if (!node.IsScalar()) {
      error(node, fmt::format("`{}` must be a string", what));
      return std::nullopt;
    }
    return node.Scalar();
  }

  std::optional<long> integer(const YAML::Node& node, std::string_view what) {
    auto value = text(node, what);
    if (!value) {
      return std::nullopt;
    }
    std::size_t used = 0;
    try {
      long parsed = std::stol(*value, &used);
      if (used == value->size()) {
        return parsed;
      }
    } catch (const std::exception&) {
    }
    error(node, fmt::format("`{}` must be an integer, not `{}`", what, *value));
    return std::nullopt;
  }

  /** "5s", "500ms", "2m" or a bare number of milliseconds. */
  std::optional<std::chrono::milliseconds> duration(const YAML::Node& node, std::string_view what) {
    auto value = text(node, what);
    if (!value) {
      return std::nullopt;
    }
    std::size_t used = 0;
    long amount = -1;
    try {
      amount = std::stol(*value, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    std::string unit = value->substr(used);
    long factor = unit == "ms" || unit.empty() ? 1 : unit == "s" ? 1000 : unit == "m" ? 60000 : 0;
    if (used == 0 || amount <= 0 || factor == 0 || amount > 3600000 / factor) {
      error(node, fmt::format("`{}` must be a positive duration such as 5s or 500ms, not `{}`",
                              what, *value));
      return std::nullopt;
    }
    return std::chrono::milliseconds{amount * factor};
  }

  std::vector<std::string> stringList(const YAML::Node& node, std::string_view what) {
    std::vector<std::string> out;
    if (!node) {
      return out;
    }
    if (!node.IsSequence()) {
      error(node, fmt::format("`{}` must be a list of strings", what));
      return out;
    }
    for (const auto& item : node) {
      if (auto value = text(item, what)) {
        out.push_back(*value);
      }
    }
    return out;
  }

  std::map<std::string, std::string> stringMap(const YAML::Node& node, std::string_view what) {
    std::map<std::string, std::string> out;
    if (!node) {
      return out;
    }
    if (!node.IsMap()) {
      error(node, fmt::format("`{}` must be a mapping", what));
      return out;
    }
    for (const auto& entry : node) {
      if (auto value = text(entry.second, fmt::format("{}.{}", what, entry.first.Scalar()))) {
        out[entry.first.Scalar()] = *value;
      }
    }
    return out;
  }

  std::vector<Diagnostic>& errors_;
};

}  // namespace kefu::ivr::internal
