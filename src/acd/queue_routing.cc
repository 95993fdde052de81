#include "acd/queue_routing.h"

#include <string>
#include <utility>

namespace kefu::acd {

QueueRouting routingOf(Queue queue) {
  QueueRouting routing;
  routing.relaxation = queue.relaxation;
  routing.max_size = queue.max_size;
  routing.overflow = queue.overflow;
  routing.wrap_up = queue.wrap_up;
  routing.alert_timeout = queue.alert_timeout;
  routing.sticky_window = queue.sticky_window;
  routing.callback_timeout = queue.callback_timeout;
  routing.short_abandon = queue.short_abandon;
  routing.callback_enabled = queue.callback_enabled;
  routing.queue = std::move(queue);
  return routing;
}

Queue queueOf(const QueueRouting& routing) {
  Queue queue = routing.queue;
  queue.relaxation = routing.relaxation;
  queue.max_size = routing.max_size;
  queue.overflow = routing.overflow;
  queue.wrap_up = routing.wrap_up;
  queue.alert_timeout = routing.alert_timeout;
  queue.sticky_window = routing.sticky_window;
  queue.callback_timeout = routing.callback_timeout;
  queue.short_abandon = routing.short_abandon;
  queue.callback_enabled = routing.callback_enabled;
  return queue;
}

Result<void> validate(const QueueRouting& routing) {
  auto valid = validate(queueOf(routing));
  if (!valid) {
    // One set of rules; the engine's fields are the API's without the unit suffix.
    Error error = valid.error();
    constexpr std::string_view Suffix = "_ms";
    if (error.field.ends_with(Suffix)) {
      error.field.resize(error.field.size() - Suffix.size());
    }
    return error;
  }
  return {};
}

}  // namespace kefu::acd
