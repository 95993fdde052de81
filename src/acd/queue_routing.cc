#include "acd/queue_routing.h"

#include <string>

namespace kefu::acd {

Result<void> validate(const QueueRouting& routing) {
  KEFU_TRY(validate(routing.queue));
  std::chrono::milliseconds previous{0};
  for (std::size_t i = 0; i < routing.relaxation.size(); ++i) {
    const auto& step = routing.relaxation[i];
    const std::string field = "relaxation[" + std::to_string(i) + "]";
    if (step.after <= previous) {
      return Error::invalid(field + ".after", "relaxation steps must come after 0 s, ascending");
    }
    if (step.min_level < MinSkillLevel || step.min_level > MaxSkillLevel) {
      return Error::invalid(field + ".min_level", "a skill level is 1 to 10");
    }
    previous = step.after;
  }
  for (std::size_t i = 0; i < routing.overflow.size(); ++i) {
    const auto& rule = routing.overflow[i];
    const std::string field = "overflow[" + std::to_string(i) + "]";
    if (rule.target.empty() || rule.target == routing.queue.id) {
      return Error::invalid(field + ".target", "an overflow needs a target other than the queue");
    }
    if ((rule.after_wait.count() > 0) == (rule.above_size > 0)) {
      return Error::invalid(field, "an overflow rule has either after_wait or above_size");
    }
  }
  if (routing.alert_timeout.count() <= 0) {
    return Error::invalid("alert_timeout", "the alert timeout must be positive");
  }
  if (routing.callback_timeout.count() <= 0) {
    return Error::invalid("callback_timeout", "the callback timeout must be positive");
  }
  if (routing.wrap_up.count() < 0 || routing.sticky_window.count() < 0 ||
      routing.short_abandon.count() < 0) {
    return Error::invalid("wrap_up", "durations cannot be negative");
  }
  return {};
}

}  // namespace kefu::acd
