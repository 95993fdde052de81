#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/repository.h"
#include "core/result.h"

namespace kefu::call {

/** What a dialed number leads to. */
enum class TargetKind {
  Queue,         // `id` is a queue id: the ACD picks the agent
  Extension,     // `id` is an agent's extension: its registered phones ring
  Number,        // `id` is an outside number, dialed through the configured gateway
  Announcement,  // `id` is a prompt file: answered, played once, released
  Agent,         // `id` is an agent id: its browser softphone rings when connected, else its phone
  Flow,          // `id` is an IVR flow: answered at once, the flow decides where it goes
};

std::string_view toString(TargetKind kind);
std::optional<TargetKind> parseTargetKind(std::string_view text);

/** Where a call (or a transfer) goes. */
struct Target {
  TargetKind kind = TargetKind::Queue;
  std::string id;
  friend bool operator==(const Target&, const Target&) = default;
};

/** A dialed number (the request URI's user part) and where its calls go. */
struct EntryPoint {
  std::string id;
  std::string number;  // unique: digits, '+', '*', '#' (what a trunk delivers)
  std::string name;
  Target target;
  std::string greeting;  // a prompt file played after answering, before the target; empty: none
  int priority = 0;      // the queue priority of its callers (higher first)
  bool enabled = true;   // a disabled entry point answers 404 like an unknown number
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
};

/** @return InvalidArgument naming the field when `entry` breaks a rule. */
Result<void> validate(const EntryPoint& entry);

using EntryPointRepository = Repository<EntryPoint>;

}  // namespace kefu::call
