#pragma once

#include <optional>
#include <string_view>

namespace kefu::privacy {

/**
 * What a stored value is, which decides where it may live and what crosses the site link
 * (ARCHITECTURE.md section 3). Every column in the schema declares one (store/schema.h).
 */
enum class DataClass {
  Core,         // personal or financial: name, phone number, ID number, account, transaction
  Operational,  // agent state, queue state, configuration, interaction metadata
  Content,      // recordings, transcripts, chat text, behaviour logs
};

constexpr std::string_view toString(DataClass c) {
  switch (c) {
    case DataClass::Core:
      return "core";
    case DataClass::Operational:
      return "operational";
    case DataClass::Content:
      return "content";
  }
  return "operational";
}

constexpr std::optional<DataClass> parseDataClass(std::string_view s) {
  if (s == "core") return DataClass::Core;
  if (s == "operational") return DataClass::Operational;
  if (s == "content") return DataClass::Content;
  return std::nullopt;
}

}  // namespace kefu::privacy
