#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "acd/skill.h"
#include "core/repository.h"
#include "core/result.h"

namespace kefu::acd {

/** An agent's proficiency in one skill, 1 (can help) to 10 (expert). */
struct SkillLevel {
  std::string skill_id;
  int level = MinSkillLevel;
  friend bool operator==(const SkillLevel&, const SkillLevel&) = default;
};

/** The chats an agent holds at once unless configured otherwise, and the most it may. */
constexpr int DefaultChatCapacity = 3;
constexpr int MaxChatCapacity = 50;

/** A person (or pool seat) that interactions are routed to. */
struct Agent {
  std::string id;
  std::string name;
  std::string extension;     // unique; 2–15 digits; the SIP user of the agent's phone
  std::string sip_password;  // for the phone's digest authentication; never shown by the API
  std::string user_id;       // the login that acts as this agent; empty when none
  std::vector<SkillLevel> skills;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
  // Added after the timestamps so that positional initializers written before it still compile.
  int chat_capacity = DefaultChatCapacity;  // chats held at once (0: no chats); one voice call
};

/** @return InvalidArgument naming the field when `agent` breaks a rule. */
Result<void> validate(const Agent& agent);

using AgentRepository = Repository<Agent>;

}  // namespace kefu::acd
