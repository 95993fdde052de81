#pragma once

#include <cstdint>
#include <string>

#include "core/repository.h"
#include "core/result.h"

namespace kefu::acd {

/** Something an agent can do (a language, a product, a permission) that queues can require. */
struct Skill {
  std::string id;
  std::string name;  // unique; 1–64 characters
  std::string description;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
};

inline constexpr int MinSkillLevel = 1;
inline constexpr int MaxSkillLevel = 10;

/** @return InvalidArgument naming the field when `skill` breaks a rule. */
Result<void> validate(const Skill& skill);

using SkillRepository = Repository<Skill>;

}  // namespace kefu::acd
