#include "core/event_bus.h"

#include <algorithm>

namespace kefu {

EventBus::SubscriptionId EventBus::subscribe(Subscriber subscriber) {
  std::lock_guard lock(mutex_);
  subscribers_.push_back({next_id_, std::move(subscriber)});
  return next_id_++;
}

void EventBus::unsubscribe(SubscriptionId id) {
  std::lock_guard lock(mutex_);
  std::erase_if(subscribers_, [id](const Entry& e) { return e.id == id; });
}

void EventBus::publish(DomainEvent event) {
  // Delivering under the lock keeps every subscriber's view in one order; subscribers only copy.
  std::lock_guard lock(mutex_);
  event.sequence = ++sequence_;
  auto shared = std::make_shared<const DomainEvent>(std::move(event));
  for (auto& entry : subscribers_) {
    entry.subscriber(shared);
  }
}

std::size_t EventBus::subscriberCount() const {
  std::lock_guard lock(mutex_);
  return subscribers_.size();
}

}  // namespace kefu
