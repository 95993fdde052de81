// Fuzz target: a request body as the JSON API reads it, for every entity it maps.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/json_mapping.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kefu;
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto parsed = api::parseObject(body);
  if (!parsed) {
    return 0;
  }
  const auto& json = parsed.value();
  for (bool creating : {true, false}) {
    if (auto agent = api::agentFromJson(json, {}, creating)) {
      (void)acd::validate(*agent);
      (void)api::toJson(*agent);
    }
    if (auto user = api::userFromJson(json, {}, creating)) {
      (void)auth::validate(user->user);
    }
  }
  if (auto queue = api::queueFromJson(json, {})) {
    (void)acd::validate(*queue);
    (void)api::toJson(*queue);
  }
  if (auto skill = api::skillFromJson(json, {})) {
    (void)acd::validate(*skill);
  }
  return 0;
}
