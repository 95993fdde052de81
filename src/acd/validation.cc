#include <algorithm>
#include <chrono>
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

Result<void> checkDuration(std::chrono::milliseconds value, const std::string& field,
                           bool positive) {
  if (positive ? value.count() <= 0 : value.count() < 0) {
    return Error::invalid(field, positive ? "must be positive" : "must not be negative");
  }
  if (value > MaxQueueDuration) {
    return Error::invalid(
        field, "must be at most " + std::to_string(MaxQueueDuration.count()) + " ms (one day)");
  }
  return {};
}

Result<void> checkSize(std::size_t value, const std::string& field) {
  if (value > MaxQueueSize) {
    return Error::invalid(field, "must be at most " + std::to_string(MaxQueueSize));
  }
  return {};
}

/** A pool name or queue id: printable ASCII without spaces, at most 100 bytes. */
bool isTargetName(const std::string& target) {
  return !target.empty() && target.size() <= MaxNameLength &&
         std::all_of(target.begin(), target.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

Result<void> checkRoutingSettings(const Queue& queue) {
  if (queue.relaxation.size() > MaxQueueRules) {
    return Error::invalid("relaxation", "at most " + std::to_string(MaxQueueRules) + " steps");
  }
  std::chrono::milliseconds previous{0};
  for (std::size_t i = 0; i < queue.relaxation.size(); ++i) {
    const auto& step = queue.relaxation[i];
    const std::string field = "relaxation[" + std::to_string(i) + "]";
    if (step.after <= previous) {
      return Error::invalid(field + ".after_ms",
                            "relaxation steps must come after 0 ms, in ascending order");
    }
    KEFU_TRY(checkDuration(step.after, field + ".after_ms", true));
    KEFU_TRY(checkLevel(step.min_level, field + ".min_level"));
    previous = step.after;
  }
  KEFU_TRY(checkSize(queue.max_size, "max_size"));
  if (queue.overflow.size() > MaxQueueRules) {
    return Error::invalid("overflow", "at most " + std::to_string(MaxQueueRules) + " rules");
  }
  for (std::size_t i = 0; i < queue.overflow.size(); ++i) {
    const auto& rule = queue.overflow[i];
    const std::string field = "overflow[" + std::to_string(i) + "]";
    if (!isTargetName(rule.target)) {
      return Error::invalid(field + ".target",
                            "must be a queue id or pool name: 1 to 100 printable characters");
    }
    if (rule.target == queue.id) {
      return Error::invalid(field + ".target", "a queue cannot overflow to itself");
    }
    if ((rule.after_wait.count() > 0) == (rule.above_size > 0)) {
      return Error::invalid(field, "an overflow rule has either after_wait_ms or above_size");
    }
    KEFU_TRY(checkDuration(rule.after_wait, field + ".after_wait_ms", false));
    KEFU_TRY(checkSize(rule.above_size, field + ".above_size"));
  }
  KEFU_TRY(checkDuration(queue.wrap_up, "wrap_up_ms", false));
  KEFU_TRY(checkDuration(queue.alert_timeout, "alert_timeout_ms", true));
  KEFU_TRY(checkDuration(queue.sticky_window, "sticky_window_ms", false));
  KEFU_TRY(checkDuration(queue.callback_timeout, "callback_timeout_ms", true));
  KEFU_TRY(checkDuration(queue.short_abandon, "short_abandon_ms", false));
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
  if (agent.chat_capacity < 0 || agent.chat_capacity > MaxChatCapacity) {
    return Error::invalid("chat_capacity",
                          "must be between 0 and " + std::to_string(MaxChatCapacity));
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
  return checkRoutingSettings(queue);
}

}  // namespace kefu::acd
