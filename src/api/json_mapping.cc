#include "api/json_mapping.h"

#include <ctime>
#include <set>

namespace kefu::api {
namespace {

const std::set<std::string_view> ReadOnlyFields{"id", "created_at", "updated_at"};

/**
 * Reads the fields of one JSON object, keeping the first error. Callers read every field, then
 * finish() reports that error, or the first field nobody read.
 */
class ObjectReader {
 public:
  ObjectReader(const Json& object, std::string prefix) : object_(object), prefix_(std::move(prefix)) {}

  /** @return the string at `key`; nullopt when absent (an error when required) or invalid. */
  std::optional<std::string> string(std::string_view key, bool required) {
    const Json* v = field(key, required);
    if (v == nullptr) {
      return std::nullopt;
    }
    if (!v->is_string()) {
      fail(key, "must be a string");
      return std::nullopt;
    }
    return v->get<std::string>();
  }

  std::optional<std::int64_t> integer(std::string_view key, bool required) {
    const Json* v = field(key, required);
    if (v == nullptr) {
      return std::nullopt;
    }
    if (!v->is_number_integer()) {
      fail(key, "must be an integer");
      return std::nullopt;
    }
    return v->get<std::int64_t>();
  }

  /** @return the array at `key`, or nullptr when absent or invalid. */
  const Json* array(std::string_view key, bool required) {
    const Json* v = field(key, required);
    if (v != nullptr && !v->is_array()) {
      fail(key, "must be an array");
      return nullptr;
    }
    return v;
  }

  void fail(std::string_view key, std::string message) {
    if (!error_) {
      error_ = Error::invalid(prefix_ + std::string(key), std::move(message));
    }
  }

  bool failed() const { return error_.has_value(); }

  Result<void> finish() {
    if (error_) {
      return *error_;
    }
    for (auto it = object_.begin(); it != object_.end(); ++it) {
      if (!read_.contains(it.key()) && !(prefix_.empty() && ReadOnlyFields.contains(it.key()))) {
        return Error::invalid(prefix_ + it.key(), "unknown field");
      }
    }
    return {};
  }

 private:
  const Json* field(std::string_view key, bool required) {
    read_.emplace(key);
    if (error_) {
      return nullptr;
    }
    auto it = object_.find(key);
    if (it == object_.end() || it->is_null()) {
      if (required) {
        fail(key, "is required");
      }
      return nullptr;
    }
    return &*it;
  }

  const Json& object_;
  std::string prefix_;
  std::set<std::string, std::less<>> read_;
  std::optional<Error> error_;
};

/** Reads `[{"skill_id": "...", LEVEL_KEY: n}, …]` into pairs. */
template <class Item>
Result<std::vector<Item>> readSkillList(const Json& list, std::string_view field,
                                        std::string_view level_key) {
  std::vector<Item> out;
  if (list.size() > 200) {
    return Error::invalid(std::string(field), "at most 200 entries");
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    auto prefix = std::string(field) + "[" + std::to_string(i) + "]";
    if (!list[i].is_object()) {
      return Error::invalid(prefix, "must be an object");
    }
    ObjectReader item(list[i], prefix + ".");
    auto skill_id = item.string("skill_id", true);
    auto level = item.integer(level_key, true);
    if (level && (*level < acd::MinSkillLevel || *level > acd::MaxSkillLevel)) {
      item.fail(level_key, "must be between 1 and 10, got " + std::to_string(*level));
    }
    KEFU_TRY(item.finish());
    out.push_back({*skill_id, static_cast<int>(*level)});
  }
  return out;
}

Json skillListJson(const auto& items, std::string_view level_key, auto level_of) {
  Json list = Json::array();
  for (const auto& item : items) {
    list.push_back({{"skill_id", item.skill_id}, {std::string(level_key), level_of(item)}});
  }
  return list;
}

}  // namespace

Result<Json> parseObject(std::string_view body) {
  if (body.empty()) {
    return Error::invalid("body", "must be a JSON object, got an empty body");
  }
  try {
    auto j = Json::parse(body);
    if (!j.is_object()) {
      return Error::invalid("body", "must be a JSON object");
    }
    return j;
  } catch (const Json::exception& e) {
    return Error::invalid("body", std::string("malformed JSON: ") + e.what());
  }
}

std::string formatTime(std::int64_t ms) {
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

Result<acd::Skill> skillFromJson(const Json& body, acd::Skill base) {
  ObjectReader r(body, "");
  auto name = r.string("name", true);
  auto description = r.string("description", false);
  KEFU_TRY(r.finish());
  base.name = *name;
  base.description = description.value_or("");
  return base;
}

Result<acd::Agent> agentFromJson(const Json& body, acd::Agent base, bool creating) {
  ObjectReader r(body, "");
  auto name = r.string("name", true);
  auto extension = r.string("extension", true);
  auto sip_password = r.string("sip_password", creating);
  auto user_id = r.string("user_id", false);
  const Json* skills = r.array("skills", false);
  KEFU_TRY(r.finish());
  base.name = *name;
  base.extension = *extension;
  if (sip_password) {
    base.sip_password = *sip_password;
  }
  base.user_id = user_id.value_or("");
  base.skills.clear();
  if (skills != nullptr) {
    auto list = readSkillList<acd::SkillLevel>(*skills, "skills", "level");
    if (!list) {
      return list.error();
    }
    base.skills = std::move(list).value();
  }
  return base;
}

Result<acd::Queue> queueFromJson(const Json& body, acd::Queue base) {
  ObjectReader r(body, "");
  auto name = r.string("name", true);
  auto strategy = r.string("strategy", false);
  auto service_level = r.integer("service_level_seconds", false);
  const Json* skills = r.array("required_skills", false);
  std::optional<acd::RoutingStrategy> parsed = acd::RoutingStrategy::LongestIdle;
  if (strategy) {
    parsed = acd::parseRoutingStrategy(*strategy);
    if (!parsed) {
      r.fail("strategy", "must be one of " + std::string(acd::routingStrategyNames()));
    }
  }
  if (service_level && (*service_level < 1 || *service_level > 3600)) {
    r.fail("service_level_seconds", "must be between 1 and 3600");
  }
  KEFU_TRY(r.finish());
  base.name = *name;
  base.strategy = *parsed;
  base.service_level_seconds = static_cast<int>(service_level.value_or(20));
  base.required_skills.clear();
  if (skills != nullptr) {
    auto list = readSkillList<acd::SkillRequirement>(*skills, "required_skills", "min_level");
    if (!list) {
      return list.error();
    }
    base.required_skills = std::move(list).value();
  }
  return base;
}

Result<UserInput> userFromJson(const Json& body, auth::User base, bool creating) {
  ObjectReader r(body, "");
  auto username = r.string("username", true);
  auto display_name = r.string("display_name", false);
  auto role = r.string("role", true);
  auto password = r.string("password", creating);
  std::optional<auth::Role> parsed;
  if (role) {
    parsed = auth::parseRole(*role);
    if (!parsed) {
      r.fail("role", "must be one of admin, supervisor, agent, auditor");
    }
  }
  KEFU_TRY(r.finish());
  base.username = *username;
  base.display_name = display_name.value_or("");
  base.role = *parsed;
  return UserInput{std::move(base), password};
}

Json toJson(const acd::Skill& skill) {
  return {{"id", skill.id},
          {"name", skill.name},
          {"description", skill.description},
          {"created_at", formatTime(skill.created_at_ms)},
          {"updated_at", formatTime(skill.updated_at_ms)}};
}

Json toJson(const acd::Agent& agent) {
  return {{"id", agent.id},
          {"name", agent.name},
          {"extension", agent.extension},
          {"user_id", agent.user_id.empty() ? Json(nullptr) : Json(agent.user_id)},
          {"skills", skillListJson(agent.skills, "level", [](const auto& s) { return s.level; })},
          {"created_at", formatTime(agent.created_at_ms)},
          {"updated_at", formatTime(agent.updated_at_ms)}};
}

Json toJson(const acd::Queue& queue) {
  return {{"id", queue.id},
          {"name", queue.name},
          {"strategy", acd::toString(queue.strategy)},
          {"service_level_seconds", queue.service_level_seconds},
          {"required_skills",
           skillListJson(queue.required_skills, "min_level", [](const auto& s) { return s.min_level; })},
          {"created_at", formatTime(queue.created_at_ms)},
          {"updated_at", formatTime(queue.updated_at_ms)}};
}

Json toJson(const auth::User& user) {
  return {{"id", user.id},
          {"username", user.username},
          {"display_name", user.display_name},
          {"role", auth::toString(user.role)},
          {"created_at", formatTime(user.created_at_ms)},
          {"updated_at", formatTime(user.updated_at_ms)}};
}

std::string dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

}  // namespace kefu::api
