#include <algorithm>
#include <set>
#include <string>

#include "acd/agent.h"
#include "acd/queue.h"
#include "acd/skill.h"

namespace kefu::acd {
namespace {

constexpr std::size_t MaxNameLength = 100;

Result<void> checkName(const std::string& name, std::size_t max_length = MaxNameLength) {
  if (name.empty()) {
    return Error::invalid("name", "must not be empty");
  }
  if (name.size() > max_length) {
    return Error::invalid("name", "must be at most " + std::to_string(max_length) + " bytes");
  }
  return {};
}

Result<void> checkLevel(int level, const std::string& field) {
  if (level < MinSkillLevel || level > MaxSkillLevel) {
    return Error::invalid(field, "must be between " + std::to_string(MinSkillLevel) + " and " +
                                     std::to_string(MaxSkillLevel) + ", got " +
                                     std::to_string(level));
  }
  return {};
}

}  // namespace

Result<void> validate(const Skill& skill) {
  KEFU_TRY(checkName(skill.name, 64));
  if (skill.description.size() > 1000) {
    return Error::invalid("description", "must be at most 1000 bytes");
  }
  return {};
}

Result<void> validate(const Agent& agent) {
  KEFU_TRY(checkName(agent.name));
  const auto& ext = agent.extension;
  if (ext.size() < 2 || ext.size() > 15 ||
      !std::all_of(ext.begin(), ext.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return Error::invalid("extension", "must be 2 to 15 digits");
  }
  if (agent.sip_password.size() < 8 || agent.sip_password.size() > 128) {
    return Error::invalid("sip_password", "must be 8 to 128 bytes");
  }
  std::set<std::string> seen;
  for (std::size_t i = 0; i < agent.skills.size(); ++i) {
    const auto field = "skills[" + std::to_string(i) + "]";
    KEFU_TRY(checkLevel(agent.skills[i].level, field + ".level"));
    if (!seen.insert(agent.skills[i].skill_id).second) {
      return Error::invalid(field + ".skill_id", "skill listed twice");
    }
  }
  return {};
}

Result<void> validate(const Queue& queue) {
  KEFU_TRY(checkName(queue.name));
  if (queue.service_level_seconds < 1 || queue.service_level_seconds > 3600) {
    return Error::invalid("service_level_seconds", "must be between 1 and 3600");
  }
  std::set<std::string> seen;
  for (std::size_t i = 0; i < queue.required_skills.size(); ++i) {
    const auto field = "required_skills[" + std::to_string(i) + "]";
    KEFU_TRY(checkLevel(queue.required_skills[i].min_level, field + ".min_level"));
    if (!seen.insert(queue.required_skills[i].skill_id).second) {
      return Error::invalid(field + ".skill_id", "skill listed twice");
    }
  }
  return {};
}

}  // namespace kefu::acd
